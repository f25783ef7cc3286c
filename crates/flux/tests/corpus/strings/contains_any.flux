// doc: https://docs.influxdata.com/flux/v0/stdlib/strings/containsAny/
import "array"
import "strings"

want = "
#datatype,string,long,boolean
#group,false,false,false
#default,_result,,
,result,table,v
,,0,true
"

array.from(rows: [{v: strings.containsAny(v: "abc", chars: "xyzc")}])
