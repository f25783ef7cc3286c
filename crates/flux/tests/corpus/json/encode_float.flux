// doc: https://docs.influxdata.com/flux/v0/stdlib/json/encode/
import "array"
import "json"

want = "
#datatype,string,long,string
#group,false,false,false
#default,_result,,
,result,table,v
,,0,1.5
"

array.from(rows: [{v: string(v: json.encode(v: 1.5))}])
