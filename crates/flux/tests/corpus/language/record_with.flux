// doc: https://docs.influxdata.com/flux/v0/spec/expressions/#record-literals
import "array"

want = "
#datatype,string,long,long
#group,false,false,false
#default,_result,,
,result,table,v
,,0,11
"

r = {a: 1, b: 2}
s = {r with b: 10}
array.from(rows: [{v: s.a + s.b}])
