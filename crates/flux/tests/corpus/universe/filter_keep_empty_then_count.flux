// onEmpty: "keep" keeps the empty tables; count() of an empty table is 0
// doc: https://docs.influxdata.com/flux/v0/stdlib/universe/filter/
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

#datatype,string,long,dateTime:RFC3339,string,string,string,long
#group,false,false,false,true,true,true,false
#default,_result,,,,,,
,result,table,_time,_measurement,_field,host,_value
,,1,2021-01-01T00:00:00Z,cpu,usage,b,9
,,1,2021-01-01T00:00:10Z,cpu,usage,b,2
,,1,2021-01-01T00:00:20Z,cpu,usage,b,6
,,1,2021-01-01T00:00:30Z,cpu,usage,b,5
,,1,2021-01-01T00:00:40Z,cpu,usage,b,3
"
want = "
#datatype,string,long,string,string,string,long
#group,false,false,true,true,true,false
#default,_result,,,,,
,result,table,_measurement,_field,host,_value
,,0,cpu,usage,a,0

#datatype,string,long,string,string,string,long
#group,false,false,true,true,true,false
#default,_result,,,,,
,result,table,_measurement,_field,host,_value
,,1,cpu,usage,b,0
"

data = csv.from(csv: inData)
data |> filter(fn: (r) => r._value > 100, onEmpty: "keep") |> count()
