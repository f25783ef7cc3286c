// doc: https://docs.influxdata.com/flux/v0/spec/expressions/#exists
import "array"

want = "
#datatype,string,long,boolean
#group,false,false,false
#default,_result,,
,result,table,v
,,0,true
"

r = {a: 1}
array.from(rows: [{v: exists r.a and not exists r.zz}])
