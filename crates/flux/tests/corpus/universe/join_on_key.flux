// inner join on k; no other column collides so none gets a suffix
// doc: https://docs.influxdata.com/flux/v0/stdlib/universe/join/
import "array"

want = "
#datatype,string,long,string,long,double
#group,false,false,false,false,false
#default,_result,,,,
,result,table,k,v,w
,,0,x,1,10
,,0,z,3,30
"

a = array.from(rows: [{k: "x", v: 1}, {k: "y", v: 2}, {k: "z", v: 3}])
b = array.from(rows: [{k: "x", w: 10.0}, {k: "z", w: 30.0}])
join(tables: {a: a, b: b}, on: ["k"])
