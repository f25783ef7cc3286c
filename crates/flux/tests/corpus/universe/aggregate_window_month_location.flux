// months start at local midnight in Madrid (UTC+1, then UTC+2 from 28 March)
// doc: https://docs.influxdata.com/flux/v0/stdlib/universe/aggregateWindow/
import "csv"
import "timezone"

inData = "
#datatype,string,long,dateTime:RFC3339,string,string,string,long
#group,false,false,false,true,true,true,false
#default,_result,,,,,,
,result,table,_time,_measurement,_field,host,_value
,,0,2021-01-15T12:00:00Z,cpu,usage,a,2
,,0,2021-01-31T23:30:00Z,cpu,usage,a,1
,,0,2021-03-31T21:30:00Z,cpu,usage,a,4
"
want = "
#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,dateTime:RFC3339,string,string,string,long
#group,false,false,true,true,false,true,true,true,false
#default,_result,,,,,,,,
,result,table,_start,_stop,_time,_measurement,_field,host,_value
,,0,2020-12-31T23:00:00Z,2021-03-31T22:00:00Z,2021-01-31T23:00:00Z,cpu,usage,a,2
,,0,2020-12-31T23:00:00Z,2021-03-31T22:00:00Z,2021-02-28T23:00:00Z,cpu,usage,a,1
,,0,2020-12-31T23:00:00Z,2021-03-31T22:00:00Z,2021-03-31T22:00:00Z,cpu,usage,a,4
"

option location = timezone.location(name: "Europe/Madrid")
data = csv.from(csv: inData)
data |> range(start: 2020-12-31T23:00:00Z, stop: 2021-03-31T22:00:00Z) |> aggregateWindow(every: 1mo, fn: sum)
