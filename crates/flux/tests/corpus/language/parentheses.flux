// doc: https://docs.influxdata.com/flux/v0/spec/operators/
import "array"

want = "
#datatype,string,long,long
#group,false,false,false
#default,_result,,
,result,table,v
,,0,9
"

array.from(rows: [{v: (1 + 2) * 3}])
