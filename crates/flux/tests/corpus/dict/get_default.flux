// doc: https://docs.influxdata.com/flux/v0/stdlib/dict/get/
import "array"
import "dict"

want = "
#datatype,string,long,long
#group,false,false,false
#default,_result,,
,result,table,v
,,0,-1
"

d = dict.fromList(pairs: [{key: "a", value: 1}, {key: "b", value: 2}])
array.from(rows: [{v: dict.get(dict: d, key: "zz", default: -1)}])
