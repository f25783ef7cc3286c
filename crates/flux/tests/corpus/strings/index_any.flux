// doc: https://docs.influxdata.com/flux/v0/stdlib/strings/indexAny/
import "array"
import "strings"

want = "
#datatype,string,long,long
#group,false,false,false
#default,_result,,
,result,table,v
,,0,4
"

array.from(rows: [{v: strings.indexAny(v: "chicken", chars: "kmn")}])
