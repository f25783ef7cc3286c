// doc: https://docs.influxdata.com/flux/v0/spec/variables/
import "array"

want = "
#datatype,string,long,long
#group,false,false,false
#default,_result,,
,result,table,v
,,0,2
"

x = 1
f = () => {
    x = 2
    return x
}
array.from(rows: [{v: f()}])
