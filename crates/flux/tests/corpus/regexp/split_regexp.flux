// doc: https://docs.influxdata.com/flux/v0/stdlib/regexp/splitRegexp/
import "array"
import "regexp"

want = "
#datatype,string,long,long
#group,false,false,false
#default,_result,,
,result,table,v
,,0,3
"

array.from(rows: [{v: length(arr: regexp.splitRegexp(r: /,\s*/, v: "a, b,c", i: -1))}])
