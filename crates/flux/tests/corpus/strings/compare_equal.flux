// doc: https://docs.influxdata.com/flux/v0/stdlib/strings/compare/
import "array"
import "strings"

want = "
#datatype,string,long,long
#group,false,false,false
#default,_result,,
,result,table,v
,,0,0
"

array.from(rows: [{v: strings.compare(v: "abc", t: "abc")}])
