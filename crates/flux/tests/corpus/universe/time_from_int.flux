// doc: https://docs.influxdata.com/flux/v0/stdlib/universe/time/
import "array"

want = "
#datatype,string,long,dateTime:RFC3339
#group,false,false,false
#default,_result,,
,result,table,v
,,0,2021-01-01T00:00:00Z
"

array.from(rows: [{v: time(v: 1609459200000000000)}])
