// doc: https://docs.influxdata.com/flux/v0/stdlib/date/truncate/
import "array"
import "date"

want = "
#datatype,string,long,dateTime:RFC3339
#group,false,false,false
#default,_result,,
,result,table,v
,,0,2021-01-01T00:00:00Z
"

array.from(rows: [{v: date.truncate(t: 2021-03-15T10:20:30.123456789Z, unit: 1y)}])
