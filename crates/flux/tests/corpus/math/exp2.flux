// doc: https://docs.influxdata.com/flux/v0/stdlib/math/exp2/
import "array"
import "math"

want = "
#datatype,string,long,double
#group,false,false,false
#default,_result,,
,result,table,v
,,0,32
"

array.from(rows: [{v: math.exp2(x: 5.0)}])
