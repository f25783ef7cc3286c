// doc: https://docs.influxdata.com/flux/v0/stdlib/math/signbit/
import "array"
import "math"

want = "
#datatype,string,long,boolean
#group,false,false,false
#default,_result,,
,result,table,v
,,0,true
"

array.from(rows: [{v: math.signbit(x: -1.0)}])
