// doc: https://docs.influxdata.com/flux/v0/spec/operators/
// want-error: divide by zero


import "array"
array.from(rows: [{v: 1 / 0}])
