// doc: https://docs.influxdata.com/flux/v0/stdlib/strings/toLower/
import "array"
import "strings"

want = "
#datatype,string,long,string
#group,false,false,false
#default,_result,,
,result,table,v
,,0,mixed
"

array.from(rows: [{v: strings.toLower(v: "MiXeD")}])
