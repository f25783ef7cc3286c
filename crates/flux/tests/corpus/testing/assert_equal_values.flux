// equal: no diff rows
// doc: https://docs.influxdata.com/flux/v0/stdlib/testing/assertEqualValues/
import "testing"

want = "

"

testing.assertEqualValues(got: 1 + 1, want: 2)
