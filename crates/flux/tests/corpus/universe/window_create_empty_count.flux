// createEmpty keeps the window without rows; count() of it is 0
// doc: https://docs.influxdata.com/flux/v0/stdlib/universe/window/
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
"
want = "
#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,string,string,string,long
#group,false,false,true,true,true,true,true,false
#default,_result,,,,,,,
,result,table,_start,_stop,_measurement,_field,host,_value
,,0,2021-01-01T00:00:00Z,2021-01-01T00:00:20Z,cpu,usage,a,2

#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,string,string,string,long
#group,false,false,true,true,true,true,true,false
#default,_result,,,,,,,
,result,table,_start,_stop,_measurement,_field,host,_value
,,1,2021-01-01T00:00:20Z,2021-01-01T00:00:40Z,cpu,usage,a,2

#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,string,string,string,long
#group,false,false,true,true,true,true,true,false
#default,_result,,,,,,,
,result,table,_start,_stop,_measurement,_field,host,_value
,,2,2021-01-01T00:00:40Z,2021-01-01T00:01:00Z,cpu,usage,a,1

#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,string,string,string,long
#group,false,false,true,true,true,true,true,false
#default,_result,,,,,,,
,result,table,_start,_stop,_measurement,_field,host,_value
,,3,2021-01-01T00:01:00Z,2021-01-01T00:01:20Z,cpu,usage,a,0
"

data = csv.from(csv: inData)
data |> range(start: 2021-01-01T00:00:00Z, stop: 2021-01-01T00:01:20Z) |> window(every: 20s, createEmpty: true) |> count()
