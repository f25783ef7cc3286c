// doc: https://docs.influxdata.com/flux/v0/stdlib/strings/trimSpace/
import "array"
import "strings"

want = "
#datatype,string,long,string
#group,false,false,false
#default,_result,,
,result,table,v
,,0,a b
"

array.from(rows: [{v: strings.trimSpace(v: "  a b  ")}])
