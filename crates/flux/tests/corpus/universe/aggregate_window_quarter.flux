// three-month windows: calendar quarters
// doc: https://docs.influxdata.com/flux/v0/stdlib/universe/aggregateWindow/
import "csv"

inData = "
#datatype,string,long,dateTime:RFC3339,string,string,string,long
#group,false,false,false,true,true,true,false
#default,_result,,,,,,
,result,table,_time,_measurement,_field,host,_value
,,0,2021-02-10T00:00:00Z,cpu,usage,a,1
,,0,2021-05-11T00:00:00Z,cpu,usage,a,2
,,0,2021-08-09T00:00:00Z,cpu,usage,a,3
,,0,2021-11-07T00:00:00Z,cpu,usage,a,4
"
want = "
#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,dateTime:RFC3339,string,string,string,long
#group,false,false,true,true,false,true,true,true,false
#default,_result,,,,,,,,
,result,table,_start,_stop,_time,_measurement,_field,host,_value
,,0,2021-01-01T00:00:00Z,2022-01-01T00:00:00Z,2021-04-01T00:00:00Z,cpu,usage,a,1
,,0,2021-01-01T00:00:00Z,2022-01-01T00:00:00Z,2021-07-01T00:00:00Z,cpu,usage,a,2
,,0,2021-01-01T00:00:00Z,2022-01-01T00:00:00Z,2021-10-01T00:00:00Z,cpu,usage,a,3
,,0,2021-01-01T00:00:00Z,2022-01-01T00:00:00Z,2022-01-01T00:00:00Z,cpu,usage,a,4
"

data = csv.from(csv: inData)
data |> range(start: 2021-01-01T00:00:00Z, stop: 2022-01-01T00:00:00Z) |> aggregateWindow(every: 3mo, fn: sum)
