// doc: https://docs.influxdata.com/flux/v0/stdlib/math/mod/
import "array"
import "math"

want = "
#datatype,string,long,double
#group,false,false,false
#default,_result,,
,result,table,v
,,0,1
"

array.from(rows: [{v: math.mod(x: 7.0, y: 3.0)}])
