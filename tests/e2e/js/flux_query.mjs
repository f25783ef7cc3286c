// Runs a Flux query through @influxdata/influxdb-client's QueryApi
// (collectRows, queryRaw) and a bad script; prints what came back as JSON.
// Environment: URL (server), QUERY (Flux script).
import {InfluxDB, HttpError} from '@influxdata/influxdb-client'

const url = process.env.URL
const query = process.env.QUERY
const queryApi = new InfluxDB({url, token: 'any'}).getQueryApi('any')

const rows = await queryApi.collectRows(query)
const raw = await queryApi.queryRaw(query)
let error = null
try {
  await queryApi.collectRows('from(bucket: "x") |> rnge(start: -1h)')
} catch (e) {
  error = {status: e instanceof HttpError ? e.statusCode : null, message: e.message}
}
console.log(JSON.stringify({rows, raw, error}))
