// the new column's label joins the column key values with _
// doc: https://docs.influxdata.com/flux/v0/stdlib/universe/pivot/
import "csv"

inData = "
#datatype,string,long,dateTime:RFC3339,string,string,string,double
#group,false,false,false,true,true,true,false
#default,_result,,,,,,
,result,table,_time,_measurement,_field,host,_value
,,0,2021-01-01T00:00:00Z,cpu,usage,a,1.5
,,0,2021-01-01T00:00:10Z,cpu,usage,a,3
,,0,2021-01-01T00:00:20Z,cpu,usage,a,2
,,0,2021-01-01T00:00:30Z,cpu,usage,a,6.5
,,0,2021-01-01T00:00:40Z,cpu,usage,a,4

#datatype,string,long,dateTime:RFC3339,string,string,string,double
#group,false,false,false,true,true,true,false
#default,_result,,,,,,
,result,table,_time,_measurement,_field,host,_value
,,1,2021-01-01T00:00:00Z,cpu,usage,b,10
,,1,2021-01-01T00:00:10Z,cpu,usage,b,8
,,1,2021-01-01T00:00:20Z,cpu,usage,b,12
,,1,2021-01-01T00:00:30Z,cpu,usage,b,7
,,1,2021-01-01T00:00:40Z,cpu,usage,b,9
"
want = "
#datatype,string,long,dateTime:RFC3339,string,double,double
#group,false,false,false,true,false,false
#default,_result,,,,,
,result,table,_time,_measurement,a_usage,b_usage
,,0,2021-01-01T00:00:00Z,cpu,1.5,10
,,0,2021-01-01T00:00:10Z,cpu,3,8
,,0,2021-01-01T00:00:20Z,cpu,2,12
,,0,2021-01-01T00:00:30Z,cpu,6.5,7
,,0,2021-01-01T00:00:40Z,cpu,4,9
"

data = csv.from(csv: inData)
data |> pivot(rowKey: ["_time"], columnKey: ["host", "_field"], valueColumn: "_value")
