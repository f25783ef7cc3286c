// doc: https://docs.influxdata.com/flux/v0/stdlib/universe/fill/
import "csv"

inData = "
#datatype,string,long,dateTime:RFC3339,string,string,string,string
#group,false,false,false,true,true,true,false
#default,_result,,,,,,
,result,table,_time,_measurement,_field,host,_value
,,0,2021-01-01T00:00:00Z,cpu,state,a,ok
,,0,2021-01-01T00:00:10Z,cpu,state,a,
,,0,2021-01-01T00:00:20Z,cpu,state,a,warn
"
want = "
#datatype,string,long,dateTime:RFC3339,string,string,string,string
#group,false,false,false,true,true,true,false
#default,_result,,,,,,
,result,table,_time,_measurement,_field,host,_value
,,0,2021-01-01T00:00:00Z,cpu,state,a,ok
,,0,2021-01-01T00:00:10Z,cpu,state,a,unknown
,,0,2021-01-01T00:00:20Z,cpu,state,a,warn
"

data = csv.from(csv: inData)
data |> fill(value: "unknown")
