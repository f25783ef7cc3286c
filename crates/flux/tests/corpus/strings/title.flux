// doc: https://docs.influxdata.com/flux/v0/stdlib/strings/title/
import "array"
import "strings"

want = "
#datatype,string,long,string
#group,false,false,false
#default,_result,,
,result,table,v
,,0,Time Series Data
"

array.from(rows: [{v: strings.title(v: "time series data")}])
