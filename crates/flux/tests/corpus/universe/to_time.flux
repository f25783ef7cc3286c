// integers are nanoseconds since the epoch
// doc: https://docs.influxdata.com/flux/v0/stdlib/universe/toTime/
import "csv"

inData = "
#datatype,string,long,dateTime:RFC3339,string,string,string,long
#group,false,false,false,true,true,true,false
#default,_result,,,,,,
,result,table,_time,_measurement,_field,host,_value
,,0,2021-01-01T00:00:00Z,cpu,usage,a,1609459200000000000
,,0,2021-01-01T00:00:10Z,cpu,usage,a,1609459201000000000
"
want = "
#datatype,string,long,dateTime:RFC3339,string,string,string,dateTime:RFC3339
#group,false,false,false,true,true,true,false
#default,_result,,,,,,
,result,table,_time,_measurement,_field,host,_value
,,0,2021-01-01T00:00:00Z,cpu,usage,a,2021-01-01T00:00:00Z
,,0,2021-01-01T00:00:10Z,cpu,usage,a,2021-01-01T00:00:01Z
"

data = csv.from(csv: inData)
data |> toTime()
