// doc: https://docs.influxdata.com/flux/v0/data-types/composite/dict/
import "array"
import "dict"

want = "
#datatype,string,long,double
#group,false,false,false
#default,_result,,
,result,table,v
,,0,2.5
"

array.from(rows: [{v: dict.get(dict: ["x": 1.5, "y": 2.5], key: "y", default: 0.0)}])
