// doc: https://docs.influxdata.com/flux/v0/stdlib/date/sub/
import "array"
import "date"

want = "
#datatype,string,long,dateTime:RFC3339
#group,false,false,false
#default,_result,,
,result,table,v
,,0,2021-03-14T10:00:00Z
"

array.from(rows: [{v: date.sub(d: 1d, from: 2021-03-15T10:00:00Z)}])
