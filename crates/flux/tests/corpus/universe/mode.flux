// the most frequent value
// doc: https://docs.influxdata.com/flux/v0/stdlib/universe/mode/
import "csv"

inData = "
#datatype,string,long,dateTime:RFC3339,string,string,string,long
#group,false,false,false,true,true,true,false
#default,_result,,,,,,
,result,table,_time,_measurement,_field,host,_value
,,0,2021-01-01T00:00:00Z,cpu,usage,a,1
,,0,2021-01-01T00:00:10Z,cpu,usage,a,2
,,0,2021-01-01T00:00:20Z,cpu,usage,a,2
,,0,2021-01-01T00:00:30Z,cpu,usage,a,3
,,0,2021-01-01T00:00:40Z,cpu,usage,a,2
,,0,2021-01-01T00:00:50Z,cpu,usage,a,1
"
want = "
#datatype,string,long,string,string,string,long
#group,false,false,true,true,true,false
#default,_result,,,,,
,result,table,_measurement,_field,host,_value
,,0,cpu,usage,a,2
"

data = csv.from(csv: inData)
data |> mode()
