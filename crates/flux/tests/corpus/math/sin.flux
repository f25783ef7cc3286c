// doc: https://docs.influxdata.com/flux/v0/stdlib/math/sin/
import "array"
import "math"

want = "
#datatype,string,long,double
#group,false,false,false
#default,_result,,
,result,table,v
,,0,0
"

array.from(rows: [{v: math.sin(x: 0.0)}])
