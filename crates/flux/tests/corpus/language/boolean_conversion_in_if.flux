// doc: https://docs.influxdata.com/flux/v0/spec/expressions/
import "array"

want = "
#datatype,string,long,long
#group,false,false,false
#default,_result,,
,result,table,v
,,0,0
"

r = {a: 1}
array.from(rows: [{v: if exists r.b then r.b else 0}])
