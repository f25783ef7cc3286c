// doc: https://docs.influxdata.com/flux/v0/spec/types/
import "array"

want = "
#datatype,string,long,unsignedLong
#group,false,false,false
#default,_result,,
,result,table,v
,,0,7
"

array.from(rows: [{v: uint(v: 10) - uint(v: 3)}])
