// doc: https://docs.influxdata.com/flux/v0/stdlib/strings/splitN/
import "array"
import "strings"

want = "
#datatype,string,long,string
#group,false,false,false
#default,_result,,
,result,table,v
,,0,\"b,c\"
"

array.from(rows: [{v: strings.splitN(v: "a,b,c", t: ",", i: 2)[1]}])
