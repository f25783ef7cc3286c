// relative to now()
// doc: https://docs.influxdata.com/flux/v0/stdlib/date/time/
import "array"
import "date"

want = "
#datatype,string,long,dateTime:RFC3339
#group,false,false,false
#default,_result,,
,result,table,v
,,0,2029-12-31T23:00:00Z
"

array.from(rows: [{v: date.time(t: -1h)}])
