// doc: https://docs.influxdata.com/flux/v0/stdlib/strings/repeat/
import "array"
import "strings"

want = "
#datatype,string,long,string
#group,false,false,false
#default,_result,,
,result,table,v
,,0,ababab
"

array.from(rows: [{v: strings.repeat(v: "ab", i: 3)}])
