// doc: https://docs.influxdata.com/flux/v0/stdlib/array/concat/
import "array"

want = "
#datatype,string,long,long
#group,false,false,false
#default,_result,,
,result,table,v
,,0,5
"

array.from(rows: [{v: length(arr: array.concat(arr: [1, 2], v: [3, 4, 5]))}])
