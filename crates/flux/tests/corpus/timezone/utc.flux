// doc: https://docs.influxdata.com/flux/v0/stdlib/timezone/utc/
import "array"
import "date"
import "timezone"

want = "
#datatype,string,long,long
#group,false,false,false
#default,_result,,
,result,table,v
,,0,12
"

array.from(rows: [{v: date.hour(t: 2021-01-15T12:00:00Z, location: timezone.utc)}])
