// doc: https://docs.influxdata.com/flux/v0/stdlib/date/hour/
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

array.from(rows: [{v: date.hour(t: 2021-03-15T10:00:00Z, location: timezone.fixed(offset: 2h))}])
