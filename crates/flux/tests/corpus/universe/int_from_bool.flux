// doc: https://docs.influxdata.com/flux/v0/stdlib/universe/int/
import "array"

want = "
#datatype,string,long,long
#group,false,false,false
#default,_result,,
,result,table,v
,,0,1
"

array.from(rows: [{v: int(v: true)}])
