// doc: https://docs.influxdata.com/flux/v0/stdlib/join/right/
import "array"
import "join"

want = "
#datatype,string,long,long,string,long
#group,false,false,false,false,false
#default,_result,,,,
,result,table,id,a,b
,,0,1,x,10
,,0,3,z,30
,,0,4,,40
"

left = array.from(rows: [{id: 1, a: "x"}, {id: 2, a: "y"}, {id: 3, a: "z"}])
right = array.from(rows: [{id: 1, b: 10}, {id: 3, b: 30}, {id: 4, b: 40}])
join.right(left: left, right: right, on: (l, r) => l.id == r.id, as: (l, r) => ({id: r.id, a: l.a, b: r.b}))
