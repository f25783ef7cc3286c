// doc: https://docs.influxdata.com/flux/v0/stdlib/array/map/
import "array"

want = "
#datatype,string,long,long
#group,false,false,false
#default,_result,,
,result,table,v
,,0,6
"

array.from(rows: [{v: array.map(arr: [1, 2, 3], fn: (x) => x * 2)[2]}])
