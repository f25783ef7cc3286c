// 3 * EMA - 3 * EMA(EMA) + EMA(EMA(EMA)); the first value needs 3n - 2 rows
// doc: https://docs.influxdata.com/flux/v0/stdlib/universe/tripleEMA/
import "csv"

inData = "
#datatype,string,long,dateTime:RFC3339,string,string,string,double
#group,false,false,false,true,true,true,false
#default,_result,,,,,,
,result,table,_time,_measurement,_field,host,_value
,,0,2021-01-01T00:00:00Z,cpu,usage,a,1.5
,,0,2021-01-01T00:00:10Z,cpu,usage,a,3
,,0,2021-01-01T00:00:20Z,cpu,usage,a,2
,,0,2021-01-01T00:00:30Z,cpu,usage,a,6.5
,,0,2021-01-01T00:00:40Z,cpu,usage,a,4

#datatype,string,long,dateTime:RFC3339,string,string,string,double
#group,false,false,false,true,true,true,false
#default,_result,,,,,,
,result,table,_time,_measurement,_field,host,_value
,,1,2021-01-01T00:00:00Z,cpu,usage,b,10
,,1,2021-01-01T00:00:10Z,cpu,usage,b,8
,,1,2021-01-01T00:00:20Z,cpu,usage,b,12
,,1,2021-01-01T00:00:30Z,cpu,usage,b,7
,,1,2021-01-01T00:00:40Z,cpu,usage,b,9
"
want = "
#datatype,string,long,dateTime:RFC3339,string,string,string,double
#group,false,false,false,true,true,true,false
#default,_result,,,,,,
,result,table,_time,_measurement,_field,host,_value
,,0,2021-01-01T00:00:30Z,cpu,usage,a,5.981481481481479
,,0,2021-01-01T00:00:40Z,cpu,usage,a,4.144032921810699

#datatype,string,long,dateTime:RFC3339,string,string,string,double
#group,false,false,false,true,true,true,false
#default,_result,,,,,,
,result,table,_time,_measurement,_field,host,_value
,,1,2021-01-01T00:00:30Z,cpu,usage,b,7.777777777777773
,,1,2021-01-01T00:00:40Z,cpu,usage,b,8.913580246913584
"

data = csv.from(csv: inData)
data |> tripleEMA(n: 2)
