// times move so that _start falls on alignTo
// doc: https://docs.influxdata.com/flux/v0/stdlib/experimental/alignTime/
import "csv"
import "experimental"

inData = "
#datatype,string,long,dateTime:RFC3339,string,string,string,long
#group,false,false,false,true,true,true,false
#default,_result,,,,,,
,result,table,_time,_measurement,_field,host,_value
,,0,2021-01-01T00:00:00Z,cpu,usage,a,1
,,0,2021-01-01T00:01:00Z,cpu,usage,a,2
"
want = "
#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,dateTime:RFC3339,string,string,string,long
#group,false,false,true,true,false,true,true,true,false
#default,_result,,,,,,,,
,result,table,_start,_stop,_time,_measurement,_field,host,_value
,,0,2021-01-01T00:00:00Z,2021-01-01T01:00:00Z,2030-01-01T00:00:00Z,cpu,usage,a,1
,,0,2021-01-01T00:00:00Z,2021-01-01T01:00:00Z,2030-01-01T00:01:00Z,cpu,usage,a,2
"

data = csv.from(csv: inData)
data
    |> range(start: 2021-01-01T00:00:00Z, stop: 2021-01-01T01:00:00Z)
    |> experimental.alignTime(alignTo: 2030-01-01T00:00:00Z)
