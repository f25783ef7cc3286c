// every letter mapped to its title case
// doc: https://docs.influxdata.com/flux/v0/stdlib/strings/toTitle/
import "array"
import "strings"

want = "
#datatype,string,long,string
#group,false,false,false
#default,_result,,
,result,table,v
,,0,LOUD
"

array.from(rows: [{v: strings.toTitle(v: "loud")}])
