// rank 1.25 in the first bucket: interpolated from minValue 0
// doc: https://docs.influxdata.com/flux/v0/stdlib/universe/histogramQuantile/
import "csv"

inData = "
#datatype,string,long,string,double,double
#group,false,false,true,false,false
#default,_result,,,,
,result,table,_measurement,le,_value
,,0,cpu,2,2
,,0,cpu,5,4
,,0,cpu,10,5
,,0,cpu,20,5
"
want = "
#datatype,string,long,string,double
#group,false,false,true,false
#default,_result,,,
,result,table,_measurement,_value
,,0,cpu,1.25
"

data = csv.from(csv: inData)
data |> histogramQuantile(quantile: 0.25)
