// doc: https://docs.influxdata.com/flux/v0/spec/expressions/#member-expressions
import "array"

want = "
#datatype,string,long,long
#group,false,false,false
#default,_result,,
,result,table,v
,,0,3
"

r = {"a b": 3}
array.from(rows: [{v: r["a b"]}])
