// doc: https://docs.influxdata.com/flux/v0/spec/#function-literals
// want-error: unexpected argument c


f = (a) => a
f(a: 1, c: 2)
