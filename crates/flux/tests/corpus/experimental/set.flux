// doc: https://docs.influxdata.com/flux/v0/stdlib/experimental/set/
import "csv"
import "experimental"

inData = "
#datatype,string,long,dateTime:RFC3339,string,string,string,long
#group,false,false,false,true,true,true,false
#default,_result,,,,,,
,result,table,_time,_measurement,_field,host,_value
,,0,2021-01-01T00:00:00Z,cpu,usage,a,1
,,0,2021-01-01T00:00:10Z,cpu,usage,a,2

#datatype,string,long,dateTime:RFC3339,string,string,string,long
#group,false,false,false,true,true,true,false
#default,_result,,,,,,
,result,table,_time,_measurement,_field,host,_value
,,1,2021-01-01T00:00:00Z,cpu,usage,b,3
"
want = "
#datatype,string,long,dateTime:RFC3339,string,string,string,long,string,long
#group,false,false,false,true,true,true,false,false,false
#default,_result,,,,,,,,
,result,table,_time,_measurement,_field,host,_value,env,tier
,,0,2021-01-01T00:00:00Z,cpu,usage,a,1,prod,2
,,0,2021-01-01T00:00:10Z,cpu,usage,a,2,prod,2

#datatype,string,long,dateTime:RFC3339,string,string,string,long,string,long
#group,false,false,false,true,true,true,false,false,false
#default,_result,,,,,,,,
,result,table,_time,_measurement,_field,host,_value,env,tier
,,1,2021-01-01T00:00:00Z,cpu,usage,b,3,prod,2
"

data = csv.from(csv: inData)
data |> experimental.set(o: {env: "prod", tier: 2})
