// doc: https://docs.influxdata.com/flux/v0/stdlib/math/mMax/
import "array"
import "math"

want = "
#datatype,string,long,double
#group,false,false,false
#default,_result,,
,result,table,v
,,0,3
"

array.from(rows: [{v: math.mMax(x: 1.5, y: 3.0)}])
