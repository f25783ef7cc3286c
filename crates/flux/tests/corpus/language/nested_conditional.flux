// doc: https://docs.influxdata.com/flux/v0/spec/expressions/#conditional-expressions
import "array"

want = "
#datatype,string,long,string
#group,false,false,false
#default,_result,,
,result,table,v
,,0,b
"

array.from(rows: [{v: if 1 > 2 then "a" else if 2 > 1 then "b" else "c"}])
