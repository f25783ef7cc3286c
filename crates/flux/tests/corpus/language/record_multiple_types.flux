// doc: https://docs.influxdata.com/flux/v0/spec/types/
import "array"

want = "
#datatype,string,long,long,double,string,boolean,dateTime:RFC3339
#group,false,false,false,false,false,false,false
#default,_result,,,,,,
,result,table,i,f,s,b,t
,,0,1,2.5,x,false,2021-01-01T00:00:00Z
"

array.from(rows: [{i: 1, f: 2.5, s: "x", b: false, t: 2021-01-01T00:00:00Z}])
