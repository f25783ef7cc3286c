// hours 9 to 17 inclusive
// doc: https://docs.influxdata.com/flux/v0/stdlib/universe/hourSelection/
import "csv"

inData = "
#datatype,string,long,dateTime:RFC3339,string,string,string,long
#group,false,false,false,true,true,true,false
#default,_result,,,,,,
,result,table,_time,_measurement,_field,host,_value
,,0,2021-01-01T06:00:00Z,cpu,usage,a,1
,,0,2021-01-01T09:00:00Z,cpu,usage,a,2
,,0,2021-01-01T12:00:00Z,cpu,usage,a,3
,,0,2021-01-01T17:00:00Z,cpu,usage,a,4
,,0,2021-01-01T20:00:00Z,cpu,usage,a,5
"
want = "
#datatype,string,long,dateTime:RFC3339,string,string,string,long
#group,false,false,false,true,true,true,false
#default,_result,,,,,,
,result,table,_time,_measurement,_field,host,_value
,,0,2021-01-01T09:00:00Z,cpu,usage,a,2
,,0,2021-01-01T12:00:00Z,cpu,usage,a,3
,,0,2021-01-01T17:00:00Z,cpu,usage,a,4
"

data = csv.from(csv: inData)
data |> hourSelection(start: 9, stop: 17)
