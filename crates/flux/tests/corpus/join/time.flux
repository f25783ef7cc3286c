// join.time is an inner join on _time
// doc: https://docs.influxdata.com/flux/v0/stdlib/join/time/
import "array"
import "join"

want = "
#datatype,string,long,dateTime:RFC3339,long,long
#group,false,false,false,false,false
#default,_result,,,,
,result,table,_time,x,y
,,0,2021-01-01T00:00:10Z,2,20
"

l = array.from(rows: [{_time: 2021-01-01T00:00:00Z, x: 1}, {_time: 2021-01-01T00:00:10Z, x: 2}])
r = array.from(rows: [{_time: 2021-01-01T00:00:10Z, y: 20}, {_time: 2021-01-01T00:00:20Z, y: 30}])
join.time(left: l, right: r, as: (l, r) => ({l with y: r.y}))
