// doc: https://docs.influxdata.com/flux/v0/stdlib/universe/display/
import "array"

want = "
#datatype,string,long,string
#group,false,false,false
#default,_result,,
,result,table,v
,,0,\"[a: 1, b: 2]\"
"

array.from(rows: [{v: display(v: ["a": 1, "b": 2])}])
