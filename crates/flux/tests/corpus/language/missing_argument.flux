// doc: https://docs.influxdata.com/flux/v0/spec/#function-literals
// want-error: missing required argument b


f = (a, b) => a + b
f(a: 1)
