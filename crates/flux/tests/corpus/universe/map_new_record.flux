// columns not in the returned record are dropped; the key keeps the columns that remain
// doc: https://docs.influxdata.com/flux/v0/stdlib/universe/map/
import "csv"

inData = "
#datatype,string,long,dateTime:RFC3339,string,string,string,long
#group,false,false,false,true,true,true,false
#default,_result,,,,,,
,result,table,_time,_measurement,_field,host,_value
,,0,2021-01-01T00:00:00Z,cpu,usage,a,3
,,0,2021-01-01T00:00:10Z,cpu,usage,a,1
,,0,2021-01-01T00:00:20Z,cpu,usage,a,4
,,0,2021-01-01T00:00:30Z,cpu,usage,a,2
,,0,2021-01-01T00:00:40Z,cpu,usage,a,5

#datatype,string,long,dateTime:RFC3339,string,string,string,long
#group,false,false,false,true,true,true,false
#default,_result,,,,,,
,result,table,_time,_measurement,_field,host,_value
,,1,2021-01-01T00:00:00Z,cpu,usage,b,9
,,1,2021-01-01T00:00:10Z,cpu,usage,b,2
,,1,2021-01-01T00:00:20Z,cpu,usage,b,6
,,1,2021-01-01T00:00:30Z,cpu,usage,b,5
,,1,2021-01-01T00:00:40Z,cpu,usage,b,3
"
want = "
#datatype,string,long,string,long
#group,false,false,true,false
#default,_result,,,
,result,table,host,v
,,0,a,30
,,0,a,10
,,0,a,40
,,0,a,20
,,0,a,50

#datatype,string,long,string,long
#group,false,false,true,false
#default,_result,,,
,result,table,host,v
,,1,b,90
,,1,b,20
,,1,b,60
,,1,b,50
,,1,b,30
"

data = csv.from(csv: inData)
data |> map(fn: (r) => ({host: r.host, v: r._value * 10}))
