// Drives Almanac's InfluxDB 2.x management API with the official npm clients
// (@influxdata/influxdb-client + -apis), used unchanged.
//
// Usage: node v2_api.mjs <url>
// Prints one JSON object per step ({"step": ..., ...}) so the pytest wrapper
// (test_v2_api_js.py) can check each; exits non-zero on an unexpected error.
import {InfluxDB, HttpError} from '@influxdata/influxdb-client'
import {
  SetupAPI,
  OrgsAPI,
  BucketsAPI,
  AuthorizationsAPI,
} from '@influxdata/influxdb-client-apis'

const url = process.argv[2]
const report = (step, data) => console.log(JSON.stringify({step, ...data}))

async function main() {
  const anonymous = new InfluxDB({url})
  const setupApi = new SetupAPI(anonymous)
  report('setup-allowed', {allowed: (await setupApi.getSetup()).allowed})
  const setup = await setupApi.postSetup({
    body: {org: 'js-org', bucket: 'js-bucket', username: 'jsuser', password: 'js-password'},
  })
  const token = setup.auth.token
  report('setup', {
    org: setup.org.name,
    bucket: setup.bucket.name,
    user: setup.user.name,
    tokenLength: token.length,
  })
  report('setup-allowed-after', {allowed: (await setupApi.getSetup()).allowed})

  const influx = new InfluxDB({url, token})
  const orgsApi = new OrgsAPI(influx)
  const orgs = await orgsApi.getOrgs({org: 'js-org'})
  const orgID = orgs.orgs[0].id
  report('orgs', {names: orgs.orgs.map((o) => o.name)})
  const extra = await orgsApi.postOrgs({body: {name: 'js-second'}})
  report('org-created', {name: extra.name, idLength: extra.id.length})

  const bucketsApi = new BucketsAPI(influx)
  const bucket = await bucketsApi.postBuckets({
    body: {
      orgID,
      name: 'js-data',
      retentionRules: [{type: 'expire', everySeconds: 86400}],
    },
  })
  report('bucket-created', {
    name: bucket.name,
    everySeconds: bucket.retentionRules[0].everySeconds,
  })
  const listed = await bucketsApi.getBuckets({orgID})
  report('buckets', {names: listed.buckets.map((b) => b.name).sort()})
  const patched = await bucketsApi.patchBucketsID({
    bucketID: bucket.id,
    body: {description: 'from js', retentionRules: [{type: 'expire', everySeconds: 7200}]},
  })
  report('bucket-patched', {
    description: patched.description,
    everySeconds: patched.retentionRules[0].everySeconds,
  })

  const authApi = new AuthorizationsAPI(influx)
  const readOnly = await authApi.postAuthorizations({
    body: {
      orgID,
      description: 'read js-data',
      permissions: [
        {action: 'read', resource: {type: 'buckets', id: bucket.id, orgID}},
      ],
    },
  })
  report('auth-created', {
    status: readOnly.status,
    permissions: readOnly.permissions.length,
    hasToken: typeof readOnly.token === 'string' && readOnly.token.length >= 64,
  })
  const auths = await authApi.getAuthorizations({orgID})
  report('auths', {count: auths.authorizations.length})

  // Writes: the operator token may write, the read-only token may not.
  const writeApi = influx.getWriteApi('js-org', 'js-data', 'ns')
  writeApi.writeRecord(`js,host=a v=1 ${Date.now()}000000`)
  await writeApi.close()
  report('write-operator', {ok: true})
  const denied = new InfluxDB({url, token: readOnly.token}).getWriteApi('js-org', 'js-data', 'ns', {
    maxRetries: 0,
  })
  denied.writeRecord(`js,host=b v=2 ${Date.now()}000000`)
  try {
    await denied.close()
    report('write-read-only', {status: 204})
  } catch (e) {
    report('write-read-only', {status: e instanceof HttpError ? e.statusCode : String(e)})
  }

  await authApi.patchAuthorizationsID({authID: readOnly.id, body: {status: 'inactive'}})
  const inactive = await authApi.getAuthorizationsID({authID: readOnly.id})
  report('auth-inactive', {status: inactive.status})
  await authApi.deleteAuthorizationsID({authID: readOnly.id})
  await bucketsApi.deleteBucketsID({bucketID: bucket.id})
  const after = await bucketsApi.getBuckets({orgID})
  report('bucket-deleted', {names: after.buckets.map((b) => b.name).sort()})
  try {
    await bucketsApi.getBucketsID({bucketID: bucket.id})
    report('bucket-gone', {status: 200})
  } catch (e) {
    report('bucket-gone', {status: e.statusCode, body: e.body})
  }
  try {
    await new BucketsAPI(new InfluxDB({url, token: 'bogus'})).getBuckets({})
    report('bad-token', {status: 200})
  } catch (e) {
    report('bad-token', {status: e.statusCode, body: e.body})
  }
  report('done', {})
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
