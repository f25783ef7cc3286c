// times encode as RFC 3339 strings
// doc: https://docs.influxdata.com/flux/v0/stdlib/json/encode/
import "array"
import "json"

want = "
#datatype,string,long,string
#group,false,false,false
#default,_result,,
,result,table,v
,,0,\"\"\"2021-01-01T00:00:00Z\"\"\"
"

array.from(rows: [{v: string(v: json.encode(v: 2021-01-01T00:00:00Z))}])
