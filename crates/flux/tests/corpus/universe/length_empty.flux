// doc: https://docs.influxdata.com/flux/v0/stdlib/universe/length/
import "array"

want = "
#datatype,string,long,long
#group,false,false,false
#default,_result,,
,result,table,v
,,0,0
"

array.from(rows: [{v: length(arr: [])}])
