// doc: https://docs.influxdata.com/flux/v0/stdlib/math/isNaN/
import "array"
import "math"

want = "
#datatype,string,long,boolean
#group,false,false,false
#default,_result,,
,result,table,v
,,0,true
"

array.from(rows: [{v: math.isNaN(f: math.NaN())}])
