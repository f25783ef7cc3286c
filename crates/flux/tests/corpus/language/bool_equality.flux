// doc: https://docs.influxdata.com/flux/v0/spec/operators/
import "array"

want = "
#datatype,string,long,boolean
#group,false,false,false
#default,_result,,
,result,table,v
,,0,true
"

array.from(rows: [{v: (1 == 1) == true}])
