// doc: https://docs.influxdata.com/flux/v0/spec/#function-literals
import "array"

want = "
#datatype,string,long,long
#group,false,false,false
#default,_result,,
,result,table,v
,,0,17
"

f = (x) => {
    y = x * x
    return y + 1
}
array.from(rows: [{v: f(x: 4)}])
