// doc: https://docs.influxdata.com/flux/v0/stdlib/universe/group/
// Fields of different types stay in their own groups: grouping by host and
// _field merges the two regions of each field, never an int with a float.
import "csv"

inData = "
#datatype,string,long,dateTime:RFC3339,string,string,string,string,long
#group,false,false,false,true,true,true,true,false
#default,_result,,,,,,,
,result,table,_time,_measurement,_field,host,region,_value
,,0,2021-01-01T00:00:00Z,cpu,count,a,eu,1
,,1,2021-01-01T00:00:10Z,cpu,count,a,us,2

#datatype,string,long,dateTime:RFC3339,string,string,string,string,double
#group,false,false,false,true,true,true,true,false
#default,_result,,,,,,,
,result,table,_time,_measurement,_field,host,region,_value
,,2,2021-01-01T00:00:00Z,cpu,usage,a,eu,1.5
,,3,2021-01-01T00:00:10Z,cpu,usage,a,us,2.5
"
want = "
#datatype,string,long,dateTime:RFC3339,string,string,string,string,long
#group,false,false,false,false,true,true,false,false
#default,_result,,,,,,,
,result,table,_time,_measurement,_field,host,region,_value
,,0,2021-01-01T00:00:00Z,cpu,count,a,eu,1
,,0,2021-01-01T00:00:10Z,cpu,count,a,us,2

#datatype,string,long,dateTime:RFC3339,string,string,string,string,double
#group,false,false,false,false,true,true,false,false
#default,_result,,,,,,,
,result,table,_time,_measurement,_field,host,region,_value
,,1,2021-01-01T00:00:00Z,cpu,usage,a,eu,1.5
,,1,2021-01-01T00:00:10Z,cpu,usage,a,us,2.5
"

csv.from(csv: inData) |> group(columns: ["host", "_field"])
