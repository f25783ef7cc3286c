// doc: https://docs.influxdata.com/flux/v0/stdlib/array/from/
import "array"

want = "
#datatype,string,long,string,double,boolean
#group,false,false,false,false,false
#default,_result,,,,
,result,table,host,v,ok
,,0,a,1.5,true
,,0,b,2.5,false
"

array.from(rows: [{host: "a", v: 1.5, ok: true}, {host: "b", v: 2.5, ok: false}])
