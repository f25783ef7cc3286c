// a diff table: the wanted value marked -, the got value marked +
// doc: https://docs.influxdata.com/flux/v0/stdlib/testing/assertEqualValues/
import "testing"

want = "
#datatype,string,long,string,long
#group,false,false,false,false
#default,_result,,,
,result,table,_diff,v
,,0,-,2
,,0,+,3
"

testing.assertEqualValues(got: 3, want: 2)
