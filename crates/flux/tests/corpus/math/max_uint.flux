// doc: https://docs.influxdata.com/flux/v0/stdlib/math/maxuint/
import "array"
import "math"

want = "
#datatype,string,long,unsignedLong
#group,false,false,false
#default,_result,,
,result,table,v
,,0,18446744073709551615
"

array.from(rows: [{v: math.maxuint}])
