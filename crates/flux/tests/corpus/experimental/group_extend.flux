// adds columns to the existing key
// doc: https://docs.influxdata.com/flux/v0/stdlib/experimental/group/
import "csv"
import "experimental"

inData = "
#datatype,string,long,dateTime:RFC3339,string,string,string,long
#group,false,false,false,true,true,true,false
#default,_result,,,,,,
,result,table,_time,_measurement,_field,host,_value
,,0,2021-01-01T00:00:00Z,cpu,usage,a,1
,,0,2021-01-01T00:00:10Z,cpu,usage,a,2

#datatype,string,long,dateTime:RFC3339,string,string,string,long
#group,false,false,false,true,true,true,false
#default,_result,,,,,,
,result,table,_time,_measurement,_field,host,_value
,,1,2021-01-01T00:00:00Z,cpu,usage,b,3
"
want = "
#datatype,string,long,dateTime:RFC3339,string,string,string,long
#group,false,false,false,false,true,true,false
#default,_result,,,,,,
,result,table,_time,_measurement,_field,host,_value
,,0,2021-01-01T00:00:00Z,cpu,usage,a,1
,,0,2021-01-01T00:00:10Z,cpu,usage,a,2

#datatype,string,long,dateTime:RFC3339,string,string,string,long
#group,false,false,false,false,true,true,false
#default,_result,,,,,,
,result,table,_time,_measurement,_field,host,_value
,,1,2021-01-01T00:00:00Z,cpu,usage,b,3
"

data = csv.from(csv: inData)
data |> group(columns: ["host"]) |> experimental.group(columns: ["_field"], mode: "extend")
