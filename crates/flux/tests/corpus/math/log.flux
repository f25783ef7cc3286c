// doc: https://docs.influxdata.com/flux/v0/stdlib/math/log/
import "array"
import "math"

want = "
#datatype,string,long,double
#group,false,false,false
#default,_result,,
,result,table,v
,,0,0
"

array.from(rows: [{v: math.log(x: 1.0)}])
