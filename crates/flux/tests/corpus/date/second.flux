// doc: https://docs.influxdata.com/flux/v0/stdlib/date/second/
import "array"
import "date"

want = "
#datatype,string,long,long
#group,false,false,false
#default,_result,,
,result,table,v
,,0,30
"

array.from(rows: [{v: date.second(t: 2021-03-15T10:20:30.123456789Z)}])
