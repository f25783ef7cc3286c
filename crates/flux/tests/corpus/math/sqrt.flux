// doc: https://docs.influxdata.com/flux/v0/stdlib/math/sqrt/
import "array"
import "math"

want = "
#datatype,string,long,double
#group,false,false,false
#default,_result,,
,result,table,v
,,0,4
"

array.from(rows: [{v: math.sqrt(x: 16.0)}])
