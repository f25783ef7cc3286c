// doc: https://docs.influxdata.com/flux/v0/stdlib/influxdata/influxdb/v1/fieldsascols/
import "csv"
import "influxdata/influxdb/v1"

inData = "
#datatype,string,long,dateTime:RFC3339,string,string,string,double
#group,false,false,false,true,true,true,false
#default,_result,,,,,,
,result,table,_time,_measurement,_field,host,_value
,,0,2021-01-01T00:00:00Z,cpu,usage,a,1
,,0,2021-01-01T00:00:10Z,cpu,usage,a,2

#datatype,string,long,dateTime:RFC3339,string,string,string,double
#group,false,false,false,true,true,true,false
#default,_result,,,,,,
,result,table,_time,_measurement,_field,host,_value
,,1,2021-01-01T00:00:00Z,cpu,temp,a,40
,,1,2021-01-01T00:00:10Z,cpu,temp,a,41
"
want = "
#datatype,string,long,dateTime:RFC3339,string,string,double,double
#group,false,false,false,true,true,false,false
#default,_result,,,,,,
,result,table,_time,_measurement,host,temp,usage
,,0,2021-01-01T00:00:00Z,cpu,a,40,1
,,0,2021-01-01T00:00:10Z,cpu,a,41,2
"

data = csv.from(csv: inData)
data |> v1.fieldsAsCols()
