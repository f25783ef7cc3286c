// doc: https://docs.influxdata.com/flux/v0/stdlib/array/filter/
import "array"

want = "
#datatype,string,long,long
#group,false,false,false
#default,_result,,
,result,table,v
,,0,2
"

array.from(rows: [{v: length(arr: array.filter(arr: [1, 2, 3, 4], fn: (x) => x % 2 == 0))}])
