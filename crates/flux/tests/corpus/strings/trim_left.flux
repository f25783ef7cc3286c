// doc: https://docs.influxdata.com/flux/v0/stdlib/strings/trimLeft/
import "array"
import "strings"

want = "
#datatype,string,long,string
#group,false,false,false
#default,_result,,
,result,table,v
,,0,abx
"

array.from(rows: [{v: strings.trimLeft(v: "xxabx", cutset: "x")}])
