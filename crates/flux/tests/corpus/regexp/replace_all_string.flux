// doc: https://docs.influxdata.com/flux/v0/stdlib/regexp/replaceAllString/
import "array"
import "regexp"

want = "
#datatype,string,long,string
#group,false,false,false
#default,_result,,
,result,table,v
,,0,-T-T-
"

array.from(rows: [{v: regexp.replaceAllString(r: /a(x*)b/, v: "-ab-axxb-", t: "T")}])
