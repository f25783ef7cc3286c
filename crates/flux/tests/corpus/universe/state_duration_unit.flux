// doc: https://docs.influxdata.com/flux/v0/stdlib/universe/stateDuration/
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
#datatype,string,long,dateTime:RFC3339,string,string,string,long,long
#group,false,false,false,true,true,true,false,false
#default,_result,,,,,,,
,result,table,_time,_measurement,_field,host,_value,d
,,0,2021-01-01T00:00:00Z,cpu,usage,a,3,0
,,0,2021-01-01T00:00:10Z,cpu,usage,a,1,10000
,,0,2021-01-01T00:00:20Z,cpu,usage,a,4,20000
,,0,2021-01-01T00:00:30Z,cpu,usage,a,2,30000
,,0,2021-01-01T00:00:40Z,cpu,usage,a,5,-1
"

data = csv.from(csv: inData)
data |> stateDuration(fn: (r) => r._value < 5, column: "d", unit: 1ms)
