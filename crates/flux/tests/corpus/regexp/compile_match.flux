// doc: https://docs.influxdata.com/flux/v0/stdlib/regexp/compile/
import "array"
import "regexp"

want = "
#datatype,string,long,boolean
#group,false,false,false
#default,_result,,
,result,table,v
,,0,true
"

array.from(rows: [{v: regexp.matchRegexpString(r: regexp.compile(v: "^a.c$"), v: "abc")}])
