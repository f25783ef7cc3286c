// doc: https://docs.influxdata.com/flux/v0/spec/variables/
// want-error: undefined identifier y


x = y + 1
x
