// doc: https://docs.influxdata.com/flux/v0/stdlib/strings/trimSuffix/
import "array"
import "strings"

want = "
#datatype,string,long,string
#group,false,false,false
#default,_result,,
,result,table,v
,,0,disk
"

array.from(rows: [{v: strings.trimSuffix(v: "disk.total", suffix: ".total")}])
