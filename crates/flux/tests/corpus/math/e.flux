// doc: https://docs.influxdata.com/flux/v0/stdlib/math/e/
import "array"
import "math"

want = "
#datatype,string,long,double
#group,false,false,false
#default,_result,,
,result,table,v
,,0,2.718281828459045
"

array.from(rows: [{v: math.e}])
