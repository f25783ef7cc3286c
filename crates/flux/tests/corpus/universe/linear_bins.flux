// doc: https://docs.influxdata.com/flux/v0/stdlib/universe/linearBins/
import "array"

want = "
#datatype,string,long,double
#group,false,false,false
#default,_result,,
,result,table,v
,,0,10
"

array.from(rows: [{v: linearBins(start: 0.0, width: 5.0, count: 3, infinity: false)[2]}])
