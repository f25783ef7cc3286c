// doc: https://docs.influxdata.com/flux/v0/stdlib/universe/sort/
import "csv"

inData = "
#datatype,string,long,dateTime:RFC3339,string,string,string,string
#group,false,false,false,true,true,true,false
#default,_result,,,,,,
,result,table,_time,_measurement,_field,host,_value
,,0,2021-01-01T00:00:00Z,cpu,state,a,x
,,0,2021-01-01T00:00:10Z,cpu,state,a,y
,,0,2021-01-01T00:00:20Z,cpu,state,a,x
,,0,2021-01-01T00:00:30Z,cpu,state,a,z
,,0,2021-01-01T00:00:40Z,cpu,state,a,y
"
want = "
#datatype,string,long,dateTime:RFC3339,string,string,string,string
#group,false,false,false,true,true,true,false
#default,_result,,,,,,
,result,table,_time,_measurement,_field,host,_value
,,0,2021-01-01T00:00:00Z,cpu,state,a,x
,,0,2021-01-01T00:00:20Z,cpu,state,a,x
,,0,2021-01-01T00:00:10Z,cpu,state,a,y
,,0,2021-01-01T00:00:40Z,cpu,state,a,y
,,0,2021-01-01T00:00:30Z,cpu,state,a,z
"

data = csv.from(csv: inData)
data |> sort()
