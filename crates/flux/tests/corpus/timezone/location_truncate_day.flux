// local midnight in Tokyo (UTC+9)
// doc: https://docs.influxdata.com/flux/v0/stdlib/timezone/location/
import "array"
import "date"
import "timezone"

want = "
#datatype,string,long,dateTime:RFC3339
#group,false,false,false
#default,_result,,
,result,table,v
,,0,2021-03-14T15:00:00Z
"

array.from(rows: [{v: date.truncate(t: 2021-03-15T10:20:30Z, unit: 1d, location: timezone.location(name: "Asia/Tokyo"))}])
