// doc: https://docs.influxdata.com/flux/v0/stdlib/dict/get/
import "csv"
import "dict"

inData = "
#datatype,string,long,dateTime:RFC3339,string,string,string,long
#group,false,false,false,true,true,true,false
#default,_result,,,,,,
,result,table,_time,_measurement,_field,host,_value
,,0,2021-01-01T00:00:00Z,cpu,usage,a,1

#datatype,string,long,dateTime:RFC3339,string,string,string,long
#group,false,false,false,true,true,true,false
#default,_result,,,,,,
,result,table,_time,_measurement,_field,host,_value
,,1,2021-01-01T00:00:00Z,cpu,usage,c,2
"
want = "
#datatype,string,long,dateTime:RFC3339,string,string,string,long,string
#group,false,false,false,true,true,true,false,false
#default,_result,,,,,,,
,result,table,_time,_measurement,_field,host,_value,name
,,0,2021-01-01T00:00:00Z,cpu,usage,a,1,alpha

#datatype,string,long,dateTime:RFC3339,string,string,string,long,string
#group,false,false,false,true,true,true,false,false
#default,_result,,,,,,,
,result,table,_time,_measurement,_field,host,_value,name
,,1,2021-01-01T00:00:00Z,cpu,usage,c,2,?
"

names = ["a": "alpha", "b": "beta"]
data = csv.from(csv: inData)
data |> map(fn: (r) => ({r with name: dict.get(dict: names, key: r.host, default: "?")}))
