// doc: https://docs.influxdata.com/flux/v0/stdlib/experimental/subDuration/
import "array"
import "experimental"

want = "
#datatype,string,long,dateTime:RFC3339
#group,false,false,false
#default,_result,,
,result,table,v
,,0,2021-01-14T22:00:00Z
"

array.from(rows: [{v: experimental.subDuration(d: 2h, from: 2021-01-15T00:00:00Z)}])
