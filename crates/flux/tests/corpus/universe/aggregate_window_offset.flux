// windows start at 10s past each 20s boundary; the first and last are cut by the range
// doc: https://docs.influxdata.com/flux/v0/stdlib/universe/aggregateWindow/
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
#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,dateTime:RFC3339,string,string,string,long
#group,false,false,true,true,false,true,true,true,false
#default,_result,,,,,,,,
,result,table,_start,_stop,_time,_measurement,_field,host,_value
,,0,2021-01-01T00:00:00Z,2021-01-01T00:01:00Z,2021-01-01T00:00:10Z,cpu,usage,a,3
,,0,2021-01-01T00:00:00Z,2021-01-01T00:01:00Z,2021-01-01T00:00:30Z,cpu,usage,a,5
,,0,2021-01-01T00:00:00Z,2021-01-01T00:01:00Z,2021-01-01T00:00:50Z,cpu,usage,a,7
,,0,2021-01-01T00:00:00Z,2021-01-01T00:01:00Z,2021-01-01T00:01:00Z,cpu,usage,a,
"

data = csv.from(csv: inData)
data |> range(start: 2021-01-01T00:00:00Z, stop: 2021-01-01T00:01:00Z) |> aggregateWindow(every: 20s, offset: 10s, fn: sum)
