// doc: https://docs.influxdata.com/flux/v0/stdlib/strings/trim/
import "array"
import "strings"

want = "
#datatype,string,long,string
#group,false,false,false
#default,_result,,
,result,table,v
,,0,abc
"

array.from(rows: [{v: strings.trim(v: "..abc..", cutset: ".")}])
