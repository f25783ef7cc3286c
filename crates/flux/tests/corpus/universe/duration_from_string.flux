// doc: https://docs.influxdata.com/flux/v0/stdlib/universe/duration/
import "array"

want = "
#datatype,string,long,long
#group,false,false,false
#default,_result,,
,result,table,v
,,0,3720000000000
"

array.from(rows: [{v: int(v: duration(v: "1h2m"))}])
