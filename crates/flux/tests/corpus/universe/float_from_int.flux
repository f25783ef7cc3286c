// doc: https://docs.influxdata.com/flux/v0/stdlib/universe/float/
import "array"

want = "
#datatype,string,long,double
#group,false,false,false
#default,_result,,
,result,table,v
,,0,7
"

array.from(rows: [{v: float(v: 7)}])
