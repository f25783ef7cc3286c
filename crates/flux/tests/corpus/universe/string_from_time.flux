// the docs example shows the short form; Flux itself writes all nine fraction digits
// (its own universe/to_string test expects 2018-05-22T19:53:26.000000000Z)
// doc: https://docs.influxdata.com/flux/v0/stdlib/universe/string/
import "array"

want = "
#datatype,string,long,string
#group,false,false,false
#default,_result,,
,result,table,v
,,0,2021-01-01T00:00:10.000000000Z
"

array.from(rows: [{v: string(v: 2021-01-01T00:00:10Z)}])
