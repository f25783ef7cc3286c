// the three largest values over both hosts
// doc: https://docs.influxdata.com/flux/v0/stdlib/universe/limit/
import "csv"

inData = "
#datatype,string,long,dateTime:RFC3339,string,string,string,double
#group,false,false,false,true,true,true,false
#default,_result,,,,,,
,result,table,_time,_measurement,_field,host,_value
,,0,2021-01-01T00:00:00Z,cpu,usage,a,1.5
,,0,2021-01-01T00:00:10Z,cpu,usage,a,3
,,0,2021-01-01T00:00:20Z,cpu,usage,a,2
,,0,2021-01-01T00:00:30Z,cpu,usage,a,6.5
,,0,2021-01-01T00:00:40Z,cpu,usage,a,4

#datatype,string,long,dateTime:RFC3339,string,string,string,double
#group,false,false,false,true,true,true,false
#default,_result,,,,,,
,result,table,_time,_measurement,_field,host,_value
,,1,2021-01-01T00:00:00Z,cpu,usage,b,10
,,1,2021-01-01T00:00:10Z,cpu,usage,b,8
,,1,2021-01-01T00:00:20Z,cpu,usage,b,12
,,1,2021-01-01T00:00:30Z,cpu,usage,b,7
,,1,2021-01-01T00:00:40Z,cpu,usage,b,9
"
want = "
#datatype,string,long,dateTime:RFC3339,string,string,string,double
#group,false,false,false,false,true,false,false
#default,_result,,,,,,
,result,table,_time,_measurement,_field,host,_value
,,0,2021-01-01T00:00:20Z,cpu,usage,b,12
,,0,2021-01-01T00:00:00Z,cpu,usage,b,10
,,0,2021-01-01T00:00:40Z,cpu,usage,b,9
"

data = csv.from(csv: inData)
data |> group(columns: ["_field"]) |> sort(columns: ["_value"], desc: true) |> limit(n: 3)
