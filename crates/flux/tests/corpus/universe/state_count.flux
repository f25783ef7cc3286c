// -1 when the state does not hold
// doc: https://docs.influxdata.com/flux/v0/stdlib/universe/stateCount/
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
#datatype,string,long,dateTime:RFC3339,string,string,string,double,long
#group,false,false,false,true,true,true,false,false
#default,_result,,,,,,,
,result,table,_time,_measurement,_field,host,_value,stateCount
,,0,2021-01-01T00:00:00Z,cpu,usage,a,1.5,-1
,,0,2021-01-01T00:00:10Z,cpu,usage,a,3,1
,,0,2021-01-01T00:00:20Z,cpu,usage,a,2,-1
,,0,2021-01-01T00:00:30Z,cpu,usage,a,6.5,1
,,0,2021-01-01T00:00:40Z,cpu,usage,a,4,2
"

data = csv.from(csv: inData)
data |> stateCount(fn: (r) => r._value > 2.0)
