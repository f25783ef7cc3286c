// doc: https://docs.influxdata.com/flux/v0/spec/operators/
// want-error: expected int but found string


1 + "a"
