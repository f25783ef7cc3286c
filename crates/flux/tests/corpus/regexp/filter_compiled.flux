// doc: https://docs.influxdata.com/flux/v0/stdlib/regexp/compile/
import "csv"
import "regexp"

inData = "
#datatype,string,long,dateTime:RFC3339,string,string,string,string
#group,false,false,false,true,true,true,false
#default,_result,,,,,,
,result,table,_time,_measurement,_field,host,_value
,,0,2021-01-01T00:00:00Z,cpu,usage,a,ok
,,0,2021-01-01T00:00:10Z,cpu,usage,a,fail
,,0,2021-01-01T00:00:20Z,cpu,usage,a,warn
"
want = "
#datatype,string,long,dateTime:RFC3339,string,string,string,string
#group,false,false,false,true,true,true,false
#default,_result,,,,,,
,result,table,_time,_measurement,_field,host,_value
,,0,2021-01-01T00:00:00Z,cpu,usage,a,ok
,,0,2021-01-01T00:00:20Z,cpu,usage,a,warn
"

re = regexp.compile(v: "^(ok|warn)$")
data = csv.from(csv: inData)
data |> filter(fn: (r) => r._value =~ re)
