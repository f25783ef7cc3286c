// doc: https://docs.influxdata.com/flux/v0/spec/lexical-elements/#string-literals
import "array"

want = "
#datatype,string,long,string
#group,false,false,false
#default,_result,,
,result,table,v
,,0,n=3
"

array.from(rows: [{v: "n=${string(v: 1 + 2)}"}])
