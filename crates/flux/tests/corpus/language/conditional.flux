// doc: https://docs.influxdata.com/flux/v0/spec/expressions/#conditional-expressions
import "array"

want = "
#datatype,string,long,string
#group,false,false,false
#default,_result,,
,result,table,v
,,0,yes
"

array.from(rows: [{v: if 3 > 2 then "yes" else "no"}])
