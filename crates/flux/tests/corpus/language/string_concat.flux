// doc: https://docs.influxdata.com/flux/v0/spec/operators/
import "array"

want = "
#datatype,string,long,string
#group,false,false,false
#default,_result,,
,result,table,v
,,0,timeseries
"

array.from(rows: [{v: "time" + "series"}])
