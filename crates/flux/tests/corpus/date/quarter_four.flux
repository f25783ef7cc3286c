// doc: https://docs.influxdata.com/flux/v0/stdlib/date/quarter/
import "array"
import "date"

want = "
#datatype,string,long,long
#group,false,false,false
#default,_result,,
,result,table,v
,,0,4
"

array.from(rows: [{v: date.quarter(t: 2021-11-01T00:00:00Z)}])
