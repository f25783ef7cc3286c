// filter drops tables left empty (onEmpty: "drop"), so count() sees none
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

"

data = csv.from(csv: inData)
data |> filter(fn: (r) => r._value > 100) |> count()
