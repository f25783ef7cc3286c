// doc: https://docs.influxdata.com/flux/v0/stdlib/regexp/quoteMeta/
import "array"
import "regexp"

want = "
#datatype,string,long,string
#group,false,false,false
#default,_result,,
,result,table,v
,,0,1\\.5\\+2
"

array.from(rows: [{v: regexp.quoteMeta(v: "1.5+2")}])
