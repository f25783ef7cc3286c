// doc: https://docs.influxdata.com/flux/v0/stdlib/universe/filter/
import "csv"

inData = "
#datatype,string,long,dateTime:RFC3339,string,string,string,boolean
#group,false,false,false,true,true,true,false
#default,_result,,,,,,
,result,table,_time,_measurement,_field,host,_value
,,0,2021-01-01T00:00:00Z,cpu,up,a,true
,,0,2021-01-01T00:00:10Z,cpu,up,a,false
,,0,2021-01-01T00:00:20Z,cpu,up,a,true
,,0,2021-01-01T00:00:30Z,cpu,up,a,true
"
want = "
#datatype,string,long,dateTime:RFC3339,string,string,string,boolean
#group,false,false,false,true,true,true,false
#default,_result,,,,,,
,result,table,_time,_measurement,_field,host,_value
,,0,2021-01-01T00:00:00Z,cpu,up,a,true
,,0,2021-01-01T00:00:20Z,cpu,up,a,true
,,0,2021-01-01T00:00:30Z,cpu,up,a,true
"

data = csv.from(csv: inData)
data |> filter(fn: (r) => r._value)
