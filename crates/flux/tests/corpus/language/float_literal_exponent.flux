// doc: https://docs.influxdata.com/flux/v0/spec/lexical-elements/#floating-point-literals
import "array"

want = "
#datatype,string,long,double
#group,false,false,false
#default,_result,,
,result,table,v
,,0,1500
"

array.from(rows: [{v: 1.5e3}])
