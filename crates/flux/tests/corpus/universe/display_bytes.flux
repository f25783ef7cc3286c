// bytes as lowercase hex with 0x
// doc: https://docs.influxdata.com/flux/v0/stdlib/universe/display/
import "array"

want = "
#datatype,string,long,string
#group,false,false,false
#default,_result,,
,result,table,v
,,0,0x616263
"

array.from(rows: [{v: display(v: bytes(v: "abc"))}])
