// doc: https://docs.influxdata.com/flux/v0/stdlib/regexp/findString/
import "array"
import "regexp"

want = "
#datatype,string,long,string
#group,false,false,false
#default,_result,,
,result,table,v
,,0,123
"

array.from(rows: [{v: regexp.findString(r: /[0-9]+/, v: "abc123def456")}])
