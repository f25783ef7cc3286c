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
#datatype,string,long,dateTime:RFC3339,string,string,string,long,long
#group,false,false,false,true,true,true,false,false
#default,_result,,,,,,,
,result,table,_time,_measurement,_field,host,_value,double
,,0,2021-01-01T00:00:00Z,cpu,usage,a,3,6
,,0,2021-01-01T00:00:10Z,cpu,usage,a,1,2
,,0,2021-01-01T00:00:20Z,cpu,usage,a,4,8
,,0,2021-01-01T00:00:30Z,cpu,usage,a,2,4
,,0,2021-01-01T00:00:40Z,cpu,usage,a,5,10

#datatype,string,long,dateTime:RFC3339,string,string,string,long,long
#group,false,false,false,true,true,true,false,false
#default,_result,,,,,,,
,result,table,_time,_measurement,_field,host,_value,double
,,1,2021-01-01T00:00:00Z,cpu,usage,b,9,18
,,1,2021-01-01T00:00:10Z,cpu,usage,b,2,4
,,1,2021-01-01T00:00:20Z,cpu,usage,b,6,12
,,1,2021-01-01T00:00:30Z,cpu,usage,b,5,10
,,1,2021-01-01T00:00:40Z,cpu,usage,b,3,6
"

data = csv.from(csv: inData)
data |> map(fn: (r) => ({r with double: r._value + r._value}))
