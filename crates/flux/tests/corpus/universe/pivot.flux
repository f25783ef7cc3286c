// _field leaves the key; one column per field value
// doc: https://docs.influxdata.com/flux/v0/stdlib/universe/pivot/
import "csv"

inData = "
#datatype,string,long,dateTime:RFC3339,string,string,string,double
#group,false,false,false,true,true,true,false
#default,_result,,,,,,
,result,table,_time,_measurement,_field,host,_value
,,0,2021-01-01T00:00:00Z,cpu,usage,a,1
,,0,2021-01-01T00:00:10Z,cpu,usage,a,2
,,0,2021-01-01T00:00:20Z,cpu,usage,a,3

#datatype,string,long,dateTime:RFC3339,string,string,string,double
#group,false,false,false,true,true,true,false
#default,_result,,,,,,
,result,table,_time,_measurement,_field,host,_value
,,1,2021-01-01T00:00:00Z,cpu,temp,a,40
,,1,2021-01-01T00:00:10Z,cpu,temp,a,41
,,1,2021-01-01T00:00:20Z,cpu,temp,a,42
"
want = "
#datatype,string,long,dateTime:RFC3339,string,string,double,double
#group,false,false,false,true,true,false,false
#default,_result,,,,,,
,result,table,_time,_measurement,host,temp,usage
,,0,2021-01-01T00:00:00Z,cpu,a,40,1
,,0,2021-01-01T00:00:10Z,cpu,a,41,2
,,0,2021-01-01T00:00:20Z,cpu,a,42,3
"

data = csv.from(csv: inData)
data |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")
