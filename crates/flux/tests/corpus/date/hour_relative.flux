// doc: https://docs.influxdata.com/flux/v0/stdlib/date/hour/
import "array"
import "date"

want = "
#datatype,string,long,long
#group,false,false,false
#default,_result,,
,result,table,v
,,0,23
"

array.from(rows: [{v: date.hour(t: -1h)}])
