// doc: https://docs.influxdata.com/flux/v0/spec/operators/#arithmetic-operators
import "array"
import "date"

want = "
#datatype,string,long,dateTime:RFC3339
#group,false,false,false
#default,_result,,
,result,table,v
,,0,2021-01-01T01:30:00Z
"

array.from(rows: [{v: date.add(d: 90m, to: 2021-01-01T00:00:00Z)}])
