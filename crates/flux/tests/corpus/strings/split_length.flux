// doc: https://docs.influxdata.com/flux/v0/stdlib/strings/split/
import "array"
import "strings"

want = "
#datatype,string,long,long
#group,false,false,false
#default,_result,,
,result,table,v
,,0,3
"

array.from(rows: [{v: length(arr: strings.split(v: "a,b,c", t: ","))}])
