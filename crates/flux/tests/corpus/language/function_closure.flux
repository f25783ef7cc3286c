// doc: https://docs.influxdata.com/flux/v0/spec/#function-literals
import "array"

want = "
#datatype,string,long,long
#group,false,false,false
#default,_result,,
,result,table,v
,,0,6
"

adder = (n) => (x) => x + n
add5 = adder(n: 5)
array.from(rows: [{v: add5(x: 1)}])
