// doc: https://docs.influxdata.com/flux/v0/stdlib/math/pi/
import "array"
import "math"

want = "
#datatype,string,long,double
#group,false,false,false
#default,_result,,
,result,table,v
,,0,3.141592653589793
"

array.from(rows: [{v: math.pi}])
