// doc: https://docs.influxdata.com/flux/v0/stdlib/regexp/matchRegexpString/
import "array"
import "regexp"

want = "
#datatype,string,long,boolean
#group,false,false,false
#default,_result,,
,result,table,v
,,0,false
"

array.from(rows: [{v: regexp.matchRegexpString(r: /^[0-9]+$/, v: "12a")}])
