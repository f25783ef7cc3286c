// doc: https://docs.influxdata.com/flux/v0/stdlib/strings/trimRight/
import "array"
import "strings"

want = "
#datatype,string,long,string
#group,false,false,false
#default,_result,,
,result,table,v
,,0,xxab
"

array.from(rows: [{v: strings.trimRight(v: "xxabx", cutset: "x")}])
