// doc: https://docs.influxdata.com/flux/v0/stdlib/math/hypot/
import "array"
import "math"

want = "
#datatype,string,long,double
#group,false,false,false
#default,_result,,
,result,table,v
,,0,5
"

array.from(rows: [{v: math.hypot(p: 3.0, q: 4.0)}])
