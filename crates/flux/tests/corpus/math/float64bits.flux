// doc: https://docs.influxdata.com/flux/v0/stdlib/math/float64bits/
import "array"
import "math"

want = "
#datatype,string,long,unsignedLong
#group,false,false,false
#default,_result,,
,result,table,v
,,0,4607182418800017408
"

array.from(rows: [{v: math.float64bits(f: 1.0)}])
