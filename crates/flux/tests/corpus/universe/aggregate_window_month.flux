// calendar months: January, February (28 days), March
// doc: https://docs.influxdata.com/flux/v0/stdlib/universe/aggregateWindow/
import "csv"

inData = "
#datatype,string,long,dateTime:RFC3339,string,string,string,long
#group,false,false,false,true,true,true,false
#default,_result,,,,,,
,result,table,_time,_measurement,_field,host,_value
,,0,2021-01-15T00:00:00Z,cpu,usage,a,1
,,0,2021-02-10T00:00:00Z,cpu,usage,a,2
,,0,2021-02-20T00:00:00Z,cpu,usage,a,3
,,0,2021-03-05T00:00:00Z,cpu,usage,a,4
"
want = "
#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,dateTime:RFC3339,string,string,string,long
#group,false,false,true,true,false,true,true,true,false
#default,_result,,,,,,,,
,result,table,_start,_stop,_time,_measurement,_field,host,_value
,,0,2021-01-01T00:00:00Z,2021-04-01T00:00:00Z,2021-02-01T00:00:00Z,cpu,usage,a,1
,,0,2021-01-01T00:00:00Z,2021-04-01T00:00:00Z,2021-03-01T00:00:00Z,cpu,usage,a,5
,,0,2021-01-01T00:00:00Z,2021-04-01T00:00:00Z,2021-04-01T00:00:00Z,cpu,usage,a,4
"

data = csv.from(csv: inData)
data |> range(start: 2021-01-01T00:00:00Z, stop: 2021-04-01T00:00:00Z) |> aggregateWindow(every: 1mo, fn: sum)
