// non-key columns other than _time become _field/_value rows
// doc: https://docs.influxdata.com/flux/v0/stdlib/experimental/unpivot/
import "array"
import "experimental"

want = "
#datatype,string,long,dateTime:RFC3339,string,string,double
#group,false,false,false,true,true,false
#default,_result,,,,,
,result,table,_time,_measurement,_field,_value
,,0,2021-01-01T00:00:00Z,m,a,1

#datatype,string,long,dateTime:RFC3339,string,string,double
#group,false,false,false,true,true,false
#default,_result,,,,,
,result,table,_time,_measurement,_field,_value
,,1,2021-01-01T00:00:00Z,m,b,2
"

array.from(rows: [{_time: 2021-01-01T00:00:00Z, _measurement: "m", a: 1.0, b: 2.0}])
    |> group(columns: ["_measurement"])
    |> experimental.unpivot()
