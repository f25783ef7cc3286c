// doc: https://docs.influxdata.com/flux/v0/stdlib/dict/insert/
import "array"
import "dict"

want = "
#datatype,string,long,long
#group,false,false,false
#default,_result,,
,result,table,v
,,0,3
"

d = dict.fromList(pairs: [{key: "a", value: 1}, {key: "b", value: 2}])
array.from(rows: [{v: dict.get(dict: dict.insert(dict: d, key: "c", value: 3), key: "c", default: 0)}])
