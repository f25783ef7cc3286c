// doc: https://docs.influxdata.com/flux/v0/stdlib/universe/contains/
import "array"

want = "
#datatype,string,long,boolean
#group,false,false,false
#default,_result,,
,result,table,v
,,0,false
"

array.from(rows: [{v: contains(value: "q", set: ["a", "b"])}])
