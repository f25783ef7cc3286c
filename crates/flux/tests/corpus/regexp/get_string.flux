// doc: https://docs.influxdata.com/flux/v0/stdlib/regexp/getString/
import "array"
import "regexp"

want = "
#datatype,string,long,string
#group,false,false,false
#default,_result,,
,result,table,v
,,0,a+b
"

array.from(rows: [{v: regexp.getString(r: /a+b/)}])
