// $n refers to a capture group
// doc: https://docs.influxdata.com/flux/v0/stdlib/regexp/replaceAllString/
import "array"
import "regexp"

want = "
#datatype,string,long,string
#group,false,false,false
#default,_result,,
,result,table,v
,,0,host:joe
"

array.from(rows: [{v: regexp.replaceAllString(r: /(\w+)@(\w+)/, v: "joe@host", t: "$2:$1")}])
