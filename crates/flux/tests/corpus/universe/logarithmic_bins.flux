// doc: https://docs.influxdata.com/flux/v0/stdlib/universe/logarithmicBins/
import "array"

want = "
#datatype,string,long,double
#group,false,false,false
#default,_result,,
,result,table,v
,,0,1000
"

array.from(rows: [{v: logarithmicBins(start: 1.0, factor: 10.0, count: 4, infinity: false)[3]}])
