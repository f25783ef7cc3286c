// EST is UTC-5 in January
// doc: https://docs.influxdata.com/flux/v0/stdlib/timezone/location/
import "array"
import "date"
import "timezone"

want = "
#datatype,string,long,long
#group,false,false,false
#default,_result,,
,result,table,v
,,0,7
"

array.from(rows: [{v: date.hour(t: 2021-01-15T12:00:00Z, location: timezone.location(name: "America/New_York"))}])
