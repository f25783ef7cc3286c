// max(x - y, 0)
// doc: https://docs.influxdata.com/flux/v0/stdlib/math/dim/
import "array"
import "math"

want = "
#datatype,string,long,double
#group,false,false,false
#default,_result,,
,result,table,v
,,0,0
"

array.from(rows: [{v: math.dim(x: 3.0, y: 5.0)}])
