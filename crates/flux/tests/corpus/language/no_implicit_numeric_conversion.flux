// int and float do not mix without a conversion
// doc: https://docs.influxdata.com/flux/v0/spec/operators/
// want-error: expected int but found float


import "array"
array.from(rows: [{v: 1 < 1.5}])
