// doc: https://docs.influxdata.com/flux/v0/spec/lexical-elements/#date-and-time-literals
import "array"

want = "
#datatype,string,long,dateTime:RFC3339
#group,false,false,false
#default,_result,,
,result,table,v
,,0,2021-06-01T00:00:00Z
"

array.from(rows: [{v: 2021-06-01}])
