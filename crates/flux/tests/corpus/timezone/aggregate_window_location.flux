// days start at 22:00 UTC in a UTC+2 location
// doc: https://docs.influxdata.com/flux/v0/stdlib/timezone/fixed/
import "csv"
import "timezone"

inData = "
#datatype,string,long,dateTime:RFC3339,string,string,string,long
#group,false,false,false,true,true,true,false
#default,_result,,,,,,
,result,table,_time,_measurement,_field,host,_value
,,0,2021-01-01T20:00:00Z,cpu,usage,a,1
,,0,2021-01-01T23:00:00Z,cpu,usage,a,2
,,0,2021-01-02T02:00:00Z,cpu,usage,a,3
"
want = "
#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,dateTime:RFC3339,string,string,string,long
#group,false,false,true,true,false,true,true,true,false
#default,_result,,,,,,,,
,result,table,_start,_stop,_time,_measurement,_field,host,_value
,,0,2020-12-31T22:00:00Z,2021-01-02T22:00:00Z,2021-01-01T22:00:00Z,cpu,usage,a,1
,,0,2020-12-31T22:00:00Z,2021-01-02T22:00:00Z,2021-01-02T22:00:00Z,cpu,usage,a,5
"

data = csv.from(csv: inData)
data
    |> range(start: 2020-12-31T22:00:00Z, stop: 2021-01-02T22:00:00Z)
    |> aggregateWindow(every: 1d, fn: sum, location: timezone.fixed(offset: 2h))
