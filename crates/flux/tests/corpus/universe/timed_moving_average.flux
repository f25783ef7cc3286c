// the mean of each 40 s window, every 20 s, at the window stop (windows cut by the range)
// doc: https://docs.influxdata.com/flux/v0/stdlib/universe/timedMovingAverage/
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
,,0,2021-01-01T00:00:00Z,2021-01-01T00:01:00Z,2021-01-01T00:00:20Z,cpu,usage,a,2.25
,,0,2021-01-01T00:00:00Z,2021-01-01T00:01:00Z,2021-01-01T00:00:40Z,cpu,usage,a,3.25
,,0,2021-01-01T00:00:00Z,2021-01-01T00:01:00Z,2021-01-01T00:01:00Z,cpu,usage,a,4.166666666666667
,,0,2021-01-01T00:00:00Z,2021-01-01T00:01:00Z,2021-01-01T00:01:00Z,cpu,usage,a,4
"

data = csv.from(csv: inData)
data |> range(start: 2021-01-01T00:00:00Z, stop: 2021-01-01T00:01:00Z) |> timedMovingAverage(every: 20s, period: 40s)
