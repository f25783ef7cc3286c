// IEEE 754 remainder: 7 - 2 * 4
// doc: https://docs.influxdata.com/flux/v0/stdlib/math/remainder/
import "array"
import "math"

want = "
#datatype,string,long,double
#group,false,false,false
#default,_result,,
,result,table,v
,,0,-1
"

array.from(rows: [{v: math.remainder(x: 7.0, y: 4.0)}])
