// a duration literal may combine units
// doc: https://docs.influxdata.com/flux/v0/spec/lexical-elements/#duration-literals
import "array"

want = "
#datatype,string,long,long
#group,false,false,false
#default,_result,,
,result,table,v
,,0,5400000000000
"

array.from(rows: [{v: int(v: 1h30m)}])
