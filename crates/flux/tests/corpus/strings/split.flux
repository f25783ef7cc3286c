// doc: https://docs.influxdata.com/flux/v0/stdlib/strings/split/
import "array"
import "strings"

want = "
#datatype,string,long,string
#group,false,false,false
#default,_result,,
,result,table,v
,,0,b
"

array.from(rows: [{v: strings.split(v: "a,b,c", t: ",")[1]}])
