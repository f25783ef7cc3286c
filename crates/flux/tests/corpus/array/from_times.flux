// doc: https://docs.influxdata.com/flux/v0/stdlib/array/from/
import "array"

want = "
#datatype,string,long,dateTime:RFC3339,long
#group,false,false,false,false
#default,_result,,,
,result,table,_time,_value
,,0,2021-01-01T00:00:00Z,1
,,0,2021-01-01T00:01:00Z,2
"

array.from(rows: [{_time: 2021-01-01T00:00:00Z, _value: 1}, {_time: 2021-01-01T00:01:00Z, _value: 2}])
