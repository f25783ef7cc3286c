// doc: https://docs.influxdata.com/flux/v0/stdlib/strings/isUpper/
import "array"
import "strings"

want = "
#datatype,string,long,boolean
#group,false,false,false
#default,_result,,
,result,table,v
,,0,false
"

array.from(rows: [{v: strings.isUpper(v: "q")}])
