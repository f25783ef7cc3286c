// doc: https://docs.influxdata.com/flux/v0/stdlib/math/cos/
import "array"
import "math"

want = "
#datatype,string,long,double
#group,false,false,false
#default,_result,,
,result,table,v
,,0,1
"

array.from(rows: [{v: math.cos(x: 0.0)}])
