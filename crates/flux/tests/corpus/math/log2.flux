// doc: https://docs.influxdata.com/flux/v0/stdlib/math/log2/
import "array"
import "math"

want = "
#datatype,string,long,double
#group,false,false,false
#default,_result,,
,result,table,v
,,0,3
"

array.from(rows: [{v: math.log2(x: 8.0)}])
