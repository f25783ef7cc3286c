// EDT is UTC-4 in July
// doc: https://docs.influxdata.com/flux/v0/stdlib/timezone/location/
import "array"
import "date"
import "timezone"

want = "
#datatype,string,long,long
#group,false,false,false
#default,_result,,
,result,table,v
,,0,8
"

array.from(rows: [{v: date.hour(t: 2021-07-01T12:00:00Z, location: timezone.location(name: "America/New_York"))}])
