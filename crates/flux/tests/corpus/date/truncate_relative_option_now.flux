// a duration is relative to now()
// doc: https://docs.influxdata.com/flux/v0/stdlib/date/truncate/
import "array"
import "date"

want = "
#datatype,string,long,dateTime:RFC3339
#group,false,false,false
#default,_result,,
,result,table,v
,,0,2021-01-01T00:00:00Z
"

option now = () => 2021-01-01T00:00:30.5Z
array.from(rows: [{v: date.truncate(t: -30s, unit: 1s)}])
