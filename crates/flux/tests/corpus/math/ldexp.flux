// doc: https://docs.influxdata.com/flux/v0/stdlib/math/ldexp/
import "array"
import "math"

want = "
#datatype,string,long,double
#group,false,false,false
#default,_result,,
,result,table,v
,,0,4
"

array.from(rows: [{v: math.ldexp(frac: 0.5, exp: 3)}])
