// |change over n rows| / sum of |row-to-row changes| in those rows
// doc: https://docs.influxdata.com/flux/v0/stdlib/universe/kaufmansER/
import "csv"

inData = "
#datatype,string,long,dateTime:RFC3339,string,string,string,long
#group,false,false,false,true,true,true,false
#default,_result,,,,,,
,result,table,_time,_measurement,_field,host,_value
,,0,2021-01-01T00:00:00Z,cpu,usage,a,3
,,0,2021-01-01T00:00:10Z,cpu,usage,a,1
,,0,2021-01-01T00:00:20Z,cpu,usage,a,4
,,0,2021-01-01T00:00:30Z,cpu,usage,a,2
,,0,2021-01-01T00:00:40Z,cpu,usage,a,5
"
want = "
#datatype,string,long,dateTime:RFC3339,string,string,string,double
#group,false,false,false,true,true,true,false
#default,_result,,,,,,
,result,table,_time,_measurement,_field,host,_value
,,0,2021-01-01T00:00:20Z,cpu,usage,a,0.2
,,0,2021-01-01T00:00:30Z,cpu,usage,a,0.2
,,0,2021-01-01T00:00:40Z,cpu,usage,a,0.2
"

data = csv.from(csv: inData)
data |> kaufmansER(n: 2)
