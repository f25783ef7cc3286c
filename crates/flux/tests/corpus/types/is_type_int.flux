// doc: https://docs.influxdata.com/flux/v0/stdlib/types/isType/
import "array"
import "types"

want = "
#datatype,string,long,boolean
#group,false,false,false
#default,_result,,
,result,table,v
,,0,true
"

array.from(rows: [{v: types.isType(v: 1, type: "int")}])
