// doc: https://docs.influxdata.com/flux/v0/stdlib/date/hour/
import "csv"
import "date"

inData = "
#datatype,string,long,dateTime:RFC3339,string,string,string,long
#group,false,false,false,true,true,true,false
#default,_result,,,,,,
,result,table,_time,_measurement,_field,host,_value
,,0,2021-01-01T01:00:00Z,cpu,usage,a,0
,,0,2021-01-01T02:00:59Z,cpu,usage,a,0
"
want = "
#datatype,string,long,dateTime:RFC3339,string,string,string,long
#group,false,false,false,true,true,true,false
#default,_result,,,,,,
,result,table,_time,_measurement,_field,host,_value
,,0,2021-01-01T01:00:00Z,cpu,usage,a,1
,,0,2021-01-01T02:00:59Z,cpu,usage,a,2
"

data = csv.from(csv: inData)
data |> map(fn: (r) => ({r with _value: date.hour(t: r._time)}))
