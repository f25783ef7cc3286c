// doc: https://docs.influxdata.com/flux/v0/stdlib/universe/pivot/
// Each new column keeps the type of the field it comes from.
import "csv"

inData = "
#datatype,string,long,dateTime:RFC3339,string,string,long
#group,false,false,false,true,true,false
#default,_result,,,,,
,result,table,_time,_measurement,_field,_value
,,0,2021-01-01T00:00:00Z,cpu,count,1
,,0,2021-01-01T00:00:10Z,cpu,count,2

#datatype,string,long,dateTime:RFC3339,string,string,double
#group,false,false,false,true,true,false
#default,_result,,,,,
,result,table,_time,_measurement,_field,_value
,,1,2021-01-01T00:00:00Z,cpu,usage,1.5
,,1,2021-01-01T00:00:10Z,cpu,usage,2.5
"
want = "
#datatype,string,long,dateTime:RFC3339,string,long,double
#group,false,false,false,true,false,false
#default,_result,,,,,
,result,table,_time,_measurement,count,usage
,,0,2021-01-01T00:00:00Z,cpu,1,1.5
,,0,2021-01-01T00:00:10Z,cpu,2,2.5
"

csv.from(csv: inData) |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")
