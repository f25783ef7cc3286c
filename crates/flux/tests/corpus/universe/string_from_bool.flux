// doc: https://docs.influxdata.com/flux/v0/stdlib/universe/string/
import "array"

want = "
#datatype,string,long,string
#group,false,false,false
#default,_result,,
,result,table,v
,,0,false
"

array.from(rows: [{v: string(v: false)}])
