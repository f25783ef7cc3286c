// doc: https://docs.influxdata.com/flux/v0/stdlib/timezone/fixed/
import "array"
import "date"
import "timezone"

want = "
#datatype,string,long,long
#group,false,false,false
#default,_result,,
,result,table,v
,,0,15
"

array.from(rows: [{v: date.hour(t: 2021-03-15T23:00:00Z, location: timezone.fixed(offset: -8h))}])
