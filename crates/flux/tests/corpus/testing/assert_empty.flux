// doc: https://docs.influxdata.com/flux/v0/stdlib/testing/assertEmpty/
import "csv"
import "testing"

inData = "
#datatype,string,long,dateTime:RFC3339,string,string,string,double
#group,false,false,false,true,true,true,false
#default,_result,,,,,,
,result,table,_time,_measurement,_field,host,_value
,,0,2021-01-01T00:00:00Z,cpu,usage,a,1
,,0,2021-01-01T00:00:10Z,cpu,usage,a,2
"
want = "

"

csv.from(csv: inData)
    |> filter(fn: (r) => r._value > 100.0)
    |> testing.assertEmpty()
