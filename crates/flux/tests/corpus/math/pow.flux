// doc: https://docs.influxdata.com/flux/v0/stdlib/math/pow/
import "array"
import "math"

want = "
#datatype,string,long,double
#group,false,false,false
#default,_result,,
,result,table,v
,,0,1024
"

array.from(rows: [{v: math.pow(x: 2.0, y: 10.0)}])
