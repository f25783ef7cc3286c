// doc: https://docs.influxdata.com/flux/v0/stdlib/array/from/
import "array"

want = "
#datatype,string,long,string,long
#group,false,false,true,false
#default,_result,,,
,result,table,k,v
,,0,x,4

#datatype,string,long,string,long
#group,false,false,true,false
#default,_result,,,
,result,table,k,v
,,1,y,2
"

array.from(rows: [{k: "x", v: 1}, {k: "y", v: 2}, {k: "x", v: 3}]) |> group(columns: ["k"]) |> sum(column: "v")
