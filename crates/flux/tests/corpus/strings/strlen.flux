// counts characters, not bytes
// doc: https://docs.influxdata.com/flux/v0/stdlib/strings/strlen/
import "array"
import "strings"

want = "
#datatype,string,long,long
#group,false,false,false
#default,_result,,
,result,table,v
,,0,5
"

array.from(rows: [{v: strings.strlen(v: "héllo")}])
