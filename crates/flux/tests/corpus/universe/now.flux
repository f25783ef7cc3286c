// the runner sets now to 2030-01-01
// doc: https://docs.influxdata.com/flux/v0/stdlib/universe/now/
import "array"

want = "
#datatype,string,long,dateTime:RFC3339
#group,false,false,false
#default,_result,,
,result,table,v
,,0,2030-01-01T00:00:00Z
"

array.from(rows: [{v: now()}])
