// doc: https://docs.influxdata.com/flux/v0/stdlib/strings/trimPrefix/
import "array"
import "strings"

want = "
#datatype,string,long,string
#group,false,false,false
#default,_result,,
,result,table,v
,,0,node_42
"

array.from(rows: [{v: strings.trimPrefix(v: "node_42", prefix: "sensor_")}])
