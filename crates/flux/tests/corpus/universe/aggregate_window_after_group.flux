// doc: https://docs.influxdata.com/flux/v0/stdlib/universe/aggregatewindow/
// After group() drops _start/_stop from the key, aggregateWindow ends with
// window(every: inf): _start/_stop are the range's bounds again, in the key.
import "csv"

inData = "
#datatype,string,long,dateTime:RFC3339,string,string,string,double
#group,false,false,false,true,true,true,false
#default,_result,,,,,,
,result,table,_time,_measurement,_field,host,_value
,,0,2021-01-01T00:00:10Z,cpu,usage,a,1
,,0,2021-01-01T00:01:10Z,cpu,usage,a,2
,,1,2021-01-01T00:00:20Z,cpu,usage,b,3
,,1,2021-01-01T00:01:20Z,cpu,usage,b,4
"
want = "
#datatype,string,long,string,dateTime:RFC3339,dateTime:RFC3339,double,dateTime:RFC3339
#group,false,false,true,true,true,false,false
#default,_result,,,,,,
,result,table,_field,_start,_stop,_value,_time
,,0,usage,2021-01-01T00:00:05Z,2021-01-01T00:02:00Z,4,2021-01-01T00:01:00Z
,,0,usage,2021-01-01T00:00:05Z,2021-01-01T00:02:00Z,6,2021-01-01T00:02:00Z
"

csv.from(csv: inData)
    |> range(start: 2021-01-01T00:00:05Z, stop: 2021-01-01T00:02:00Z)
    |> group(columns: ["_field"])
    |> aggregateWindow(every: 1m, fn: sum, createEmpty: false)
    |> keep(columns: ["_start", "_stop", "_time", "_value", "_field"])
