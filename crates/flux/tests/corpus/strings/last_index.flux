// doc: https://docs.influxdata.com/flux/v0/stdlib/strings/lastIndex/
import "array"
import "strings"

want = "
#datatype,string,long,long
#group,false,false,false
#default,_result,,
,result,table,v
,,0,3
"

array.from(rows: [{v: strings.lastIndex(v: "go gopher", substr: "go")}])
