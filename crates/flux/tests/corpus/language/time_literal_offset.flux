// an offset is applied: this is midnight UTC
// doc: https://docs.influxdata.com/flux/v0/spec/lexical-elements/#date-and-time-literals
import "array"

want = "
#datatype,string,long,long
#group,false,false,false
#default,_result,,
,result,table,v
,,0,1609459200000000000
"

array.from(rows: [{v: int(v: 2021-01-01T02:00:00+02:00)}])
