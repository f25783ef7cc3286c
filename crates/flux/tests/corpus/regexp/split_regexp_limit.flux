// doc: https://docs.influxdata.com/flux/v0/stdlib/regexp/splitRegexp/
import "array"
import "regexp"

want = "
#datatype,string,long,string
#group,false,false,false
#default,_result,,
,result,table,v
,,0,\"b,c\"
"

array.from(rows: [{v: regexp.splitRegexp(r: /,\s*/, v: "a, b,c", i: 2)[1]}])
