// doc: https://docs.influxdata.com/flux/v0/stdlib/regexp/findStringIndex/
import "array"
import "regexp"

want = "
#datatype,string,long,long
#group,false,false,false
#default,_result,,
,result,table,v
,,0,6
"

array.from(rows: [{v: regexp.findStringIndex(r: /[0-9]+/, v: "abc123def")[1]}])
