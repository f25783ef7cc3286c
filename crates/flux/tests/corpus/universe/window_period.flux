// overlapping windows: a row lands in every window that covers it
// doc: https://docs.influxdata.com/flux/v0/stdlib/universe/window/
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
"
want = "
#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,dateTime:RFC3339,string,string,string,double
#group,false,false,true,true,false,true,true,true,false
#default,_result,,,,,,,,
,result,table,_start,_stop,_time,_measurement,_field,host,_value
,,0,2020-12-31T23:59:40Z,2021-01-01T00:00:20Z,2021-01-01T00:00:00Z,cpu,usage,a,1.5
,,0,2020-12-31T23:59:40Z,2021-01-01T00:00:20Z,2021-01-01T00:00:10Z,cpu,usage,a,3

#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,dateTime:RFC3339,string,string,string,double
#group,false,false,true,true,false,true,true,true,false
#default,_result,,,,,,,,
,result,table,_start,_stop,_time,_measurement,_field,host,_value
,,1,2021-01-01T00:00:00Z,2021-01-01T00:00:40Z,2021-01-01T00:00:00Z,cpu,usage,a,1.5
,,1,2021-01-01T00:00:00Z,2021-01-01T00:00:40Z,2021-01-01T00:00:10Z,cpu,usage,a,3
,,1,2021-01-01T00:00:00Z,2021-01-01T00:00:40Z,2021-01-01T00:00:20Z,cpu,usage,a,2
,,1,2021-01-01T00:00:00Z,2021-01-01T00:00:40Z,2021-01-01T00:00:30Z,cpu,usage,a,6.5

#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,dateTime:RFC3339,string,string,string,double
#group,false,false,true,true,false,true,true,true,false
#default,_result,,,,,,,,
,result,table,_start,_stop,_time,_measurement,_field,host,_value
,,2,2021-01-01T00:00:20Z,2021-01-01T00:01:00Z,2021-01-01T00:00:20Z,cpu,usage,a,2
,,2,2021-01-01T00:00:20Z,2021-01-01T00:01:00Z,2021-01-01T00:00:30Z,cpu,usage,a,6.5
,,2,2021-01-01T00:00:20Z,2021-01-01T00:01:00Z,2021-01-01T00:00:40Z,cpu,usage,a,4

#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,dateTime:RFC3339,string,string,string,double
#group,false,false,true,true,false,true,true,true,false
#default,_result,,,,,,,,
,result,table,_start,_stop,_time,_measurement,_field,host,_value
,,3,2021-01-01T00:00:40Z,2021-01-01T00:01:20Z,2021-01-01T00:00:40Z,cpu,usage,a,4
"

data = csv.from(csv: inData)
data |> window(every: 20s, period: 40s)
