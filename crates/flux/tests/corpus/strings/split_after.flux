// doc: https://docs.influxdata.com/flux/v0/stdlib/strings/splitAfter/
import "array"
import "strings"

want = "
#datatype,string,long,string
#group,false,false,false
#default,_result,,
,result,table,v
,,0,\"a,\"
"

array.from(rows: [{v: strings.splitAfter(v: "a,b,c", t: ",")[0]}])
