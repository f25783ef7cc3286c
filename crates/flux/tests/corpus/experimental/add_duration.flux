// doc: https://docs.influxdata.com/flux/v0/stdlib/experimental/addDuration/
import "array"
import "experimental"

want = "
#datatype,string,long,dateTime:RFC3339
#group,false,false,false
#default,_result,,
,result,table,v
,,0,2021-02-15T00:00:00Z
"

array.from(rows: [{v: experimental.addDuration(d: 1mo, to: 2021-01-15T00:00:00Z)}])
