// truncates toward zero
// doc: https://docs.influxdata.com/flux/v0/stdlib/universe/int/
import "array"

want = "
#datatype,string,long,long
#group,false,false,false
#default,_result,,
,result,table,v
,,0,3
"

array.from(rows: [{v: int(v: 3.9)}])
