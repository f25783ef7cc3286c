// doc: https://docs.influxdata.com/flux/v0/stdlib/strings/joinStr/
import "array"
import "strings"

want = "
#datatype,string,long,string
#group,false,false,false
#default,_result,,
,result,table,v
,,0,a-b-c
"

array.from(rows: [{v: strings.joinStr(arr: ["a", "b", "c"], v: "-")}])
