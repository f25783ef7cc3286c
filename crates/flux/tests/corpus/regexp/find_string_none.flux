// no match gives an empty string
// doc: https://docs.influxdata.com/flux/v0/stdlib/regexp/findString/
import "array"
import "regexp"
import "strings"

want = "
#datatype,string,long,long
#group,false,false,false
#default,_result,,
,result,table,v
,,0,0
"

array.from(rows: [{v: strings.strlen(v: regexp.findString(r: /[0-9]+/, v: "abc"))}])
