// doc: https://docs.influxdata.com/flux/v0/spec/operators/
import "array"

want = "
#datatype,string,long,double
#group,false,false,false
#default,_result,,
,result,table,v
,,0,5.5
"

array.from(rows: [{v: 1.5 * 4.0 - 0.5}])
