// doc: https://docs.influxdata.com/flux/v0/stdlib/experimental/objectKeys/
import "array"
import "experimental"

want = "
#datatype,string,long,long
#group,false,false,false
#default,_result,,
,result,table,v
,,0,3
"

array.from(rows: [{v: length(arr: experimental.objectKeys(o: {a: 1, b: 2, c: 3}))}])
