// doc: https://docs.influxdata.com/flux/v0/stdlib/math/atan2/
import "array"
import "math"

want = "
#datatype,string,long,double
#group,false,false,false
#default,_result,,
,result,table,v
,,0,0.7853981633974483
"

array.from(rows: [{v: math.atan2(y: 1.0, x: 1.0)}])
