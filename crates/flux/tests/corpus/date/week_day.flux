// 2021-03-15 is a Monday; Sunday is 0
// doc: https://docs.influxdata.com/flux/v0/stdlib/date/weekDay/
import "array"
import "date"

want = "
#datatype,string,long,long
#group,false,false,false
#default,_result,,
,result,table,v
,,0,1
"

array.from(rows: [{v: date.weekDay(t: 2021-03-15T10:20:30.123456789Z)}])
