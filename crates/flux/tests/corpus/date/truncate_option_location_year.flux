// the local new year (UTC+1 in winter)
// doc: https://docs.influxdata.com/flux/v0/stdlib/date/truncate/
import "array"
import "date"
import "timezone"

want = "
#datatype,string,long,dateTime:RFC3339
#group,false,false,false
#default,_result,,
,result,table,v
,,0,2020-12-31T23:00:00Z
"

option location = timezone.location(name: "Europe/Madrid")
array.from(rows: [{v: date.truncate(t: 2021-07-10T05:00:00Z, unit: 1y)}])
