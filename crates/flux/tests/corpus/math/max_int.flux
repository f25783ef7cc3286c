// doc: https://docs.influxdata.com/flux/v0/stdlib/math/maxint/
import "array"
import "math"

want = "
#datatype,string,long,long
#group,false,false,false
#default,_result,,
,result,table,v
,,0,9223372036854775807
"

array.from(rows: [{v: math.maxint}])
