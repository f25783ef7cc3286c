// doc: https://docs.influxdata.com/flux/v0/stdlib/experimental/array/from/
import "experimental/array"

want = "
#datatype,string,long,long
#group,false,false,false
#default,_result,,
,result,table,a
,,0,3
"

array.from(rows: [{a: 1}, {a: 2}]) |> sum(column: "a")
