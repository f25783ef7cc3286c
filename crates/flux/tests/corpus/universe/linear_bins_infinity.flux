// infinity: true adds a +Inf bound
// doc: https://docs.influxdata.com/flux/v0/stdlib/universe/linearBins/
import "array"

want = "
#datatype,string,long,long
#group,false,false,false
#default,_result,,
,result,table,v
,,0,4
"

array.from(rows: [{v: length(arr: linearBins(start: 0.0, width: 5.0, count: 3))}])
