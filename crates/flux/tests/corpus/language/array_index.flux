// doc: https://docs.influxdata.com/flux/v0/spec/expressions/#index-expressions
import "array"

want = "
#datatype,string,long,long
#group,false,false,false
#default,_result,,
,result,table,v
,,0,20
"

array.from(rows: [{v: [10, 20, 30][1]}])
