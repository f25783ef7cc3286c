// doc: https://docs.influxdata.com/flux/v0/spec/#function-literals
import "array"

want = "
#datatype,string,long,long
#group,false,false,false
#default,_result,,
,result,table,v
,,0,12
"

f = (a, b=10) => a + b
array.from(rows: [{v: f(a: 2)}])
