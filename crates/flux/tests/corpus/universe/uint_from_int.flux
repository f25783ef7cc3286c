// doc: https://docs.influxdata.com/flux/v0/stdlib/universe/uint/
import "array"

want = "
#datatype,string,long,unsignedLong
#group,false,false,false
#default,_result,,
,result,table,v
,,0,5
"

array.from(rows: [{v: uint(v: 5)}])
