// doc: https://docs.influxdata.com/flux/v0/stdlib/array/map/
import "array"

want = "
#datatype,string,long,string
#group,false,false,false
#default,_result,,
,result,table,v
,,0,n2
"

array.from(rows: [{v: array.map(arr: [1, 2], fn: (x) => "n${string(v: x)}")[1]}])
