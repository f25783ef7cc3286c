// doc: https://docs.influxdata.com/flux/v0/stdlib/math/floor/
import "array"
import "math"

want = "
#datatype,string,long,double
#group,false,false,false
#default,_result,,
,result,table,v
,,0,-2
"

array.from(rows: [{v: math.floor(x: -1.5)}])
