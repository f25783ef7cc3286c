// doc: https://docs.influxdata.com/flux/v0/stdlib/strings/toUpper/
import "array"
import "strings"

want = "
#datatype,string,long,string
#group,false,false,false
#default,_result,,
,result,table,v
,,0,ÉA
"

array.from(rows: [{v: strings.toUpper(v: "éa")}])
