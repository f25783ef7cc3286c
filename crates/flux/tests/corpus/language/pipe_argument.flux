// doc: https://docs.influxdata.com/flux/v0/spec/#pipe-expressions
import "array"

want = "
#datatype,string,long,long
#group,false,false,false
#default,_result,,
,result,table,v
,,0,10
"

double = (v=<-) => v * 2
array.from(rows: [{v: 5 |> double()}])
