// doc: https://docs.influxdata.com/flux/v0/spec/expressions/#index-expressions
// want-error: cannot access element 5


import "array"
arr = [1, 2]
array.from(rows: [{v: arr[5]}])
