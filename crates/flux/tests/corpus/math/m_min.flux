// doc: https://docs.influxdata.com/flux/v0/stdlib/math/mMin/
import "array"
import "math"

want = "
#datatype,string,long,double
#group,false,false,false
#default,_result,,
,result,table,v
,,0,1.5
"

array.from(rows: [{v: math.mMin(x: 1.5, y: 3.0)}])
