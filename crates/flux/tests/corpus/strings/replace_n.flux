// i limits the number of replacements
// doc: https://docs.influxdata.com/flux/v0/stdlib/strings/replace/
import "array"
import "strings"

want = "
#datatype,string,long,string
#group,false,false,false
#default,_result,,
,result,table,v
,,0,bbaa
"

array.from(rows: [{v: strings.replace(v: "aaaa", t: "a", u: "b", i: 2)}])
