// doc: https://docs.influxdata.com/flux/v0/stdlib/math/copysign/
import "array"
import "math"

want = "
#datatype,string,long,double
#group,false,false,false
#default,_result,,
,result,table,v
,,0,-3
"

array.from(rows: [{v: math.copysign(x: 3.0, y: -1.0)}])
