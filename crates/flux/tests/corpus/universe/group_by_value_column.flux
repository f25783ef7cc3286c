// doc: https://docs.influxdata.com/flux/v0/stdlib/universe/group/
import "csv"

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
,,1,2021-01-01T00:00:00Z,cpu,usage,b,2
,,1,2021-01-01T00:00:10Z,cpu,usage,b,3
"
want = "
#datatype,string,long,long,long
#group,false,false,true,false
#default,_result,,,
,result,table,_value,host
,,0,1,1

#datatype,string,long,long,long
#group,false,false,true,false
#default,_result,,,
,result,table,_value,host
,,1,2,2

#datatype,string,long,long,long
#group,false,false,true,false
#default,_result,,,
,result,table,_value,host
,,2,3,1
"

data = csv.from(csv: inData)
data |> group(columns: ["_value"]) |> count(column: "host")
