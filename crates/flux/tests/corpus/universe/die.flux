// doc: https://docs.influxdata.com/flux/v0/stdlib/universe/die/
// want-error: stop here


die(msg: "stop here")
