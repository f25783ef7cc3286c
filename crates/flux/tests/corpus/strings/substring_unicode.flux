// positions count characters
// doc: https://docs.influxdata.com/flux/v0/stdlib/strings/substring/
import "array"
import "strings"

want = "
#datatype,string,long,string
#group,false,false,false
#default,_result,,
,result,table,v
,,0,él
"

array.from(rows: [{v: strings.substring(v: "héllo", start: 1, end: 3)}])
