import type { AddressInfo } from 'node:net'
import t from 'tap'
import type { ClusterConfig } from '../../lib/cluster.js'
import { buildOriginServer } from '../../origin/server.js'
import { ADMIN, knownBytes, putFile, rawRequest, startOca, tempDir } from './helpers.js'

/** Issue 15 #7: objects are read-only (405 with Allow), and shed load shows in oca_requests_total. */
const METHODS = ['POST', 'PUT', 'DELETE', 'PATCH']

t.test('POST/PUT/DELETE/PATCH on an object: 405 with Allow: GET, HEAD, on the OCA (plain and signed paths) and the origin', async (t) => {
  const dir = await tempDir(t)
  await putFile(dir, 't1', 'v1/seg-1.m4s', knownBytes(100))
  const { url } = await startOca(t, { storeDir: dir, signing: { secret: 'a-signing-secret-0123456789', required: false } })
  const origin = buildOriginServer({
    storeDir: await tempDir(t),
    cluster: { adminToken: ADMIN, ocas: [] } as unknown as ClusterConfig,
    popularity: async () => {
      throw new Error('unused')
    },
  })
  await origin.listen({ host: '127.0.0.1', port: 0 })
  t.teardown(() => origin.close())
  const originUrl = `http://127.0.0.1:${(origin.server.address() as AddressInfo).port}`
  for (const [base, path] of [
    [url, '/titles/t1/v1/seg-1.m4s'],
    [url, '/t/1/sig/titles/t1/v1/seg-1.m4s'],
    [originUrl, '/titles/t1/v1/seg-1.m4s'],
  ] as const) {
    for (const method of METHODS) {
      // a broken JSON body must not be parsed (or refused as 400) before the 405;
      // node:http sends a DELETE body without framing, so DELETE goes bodiless
      const body = method === 'DELETE' ? undefined : '{"not": "json'
      const r = await rawRequest(base, path, {
        method,
        headers: body ? { 'content-type': 'application/json', 'content-length': String(body.length) } : {},
        body,
      })
      t.equal(r.status, 405, `${method} ${path}: 405`)
      t.equal(r.headers.allow, 'GET, HEAD')
    }
  }
  const still = await rawRequest(url, '/titles/t1/v1/seg-1.m4s')
  t.ok(still.status === 200 && still.body.equals(knownBytes(100)), 'the object is untouched')
})

t.test('503s from load shedding are counted in oca_requests_total', async (t) => {
  const dir = await tempDir(t)
  await putFile(dir, 't1', 'a.m4s', knownBytes(10))
  const { app, url } = await startOca(t, { storeDir: dir, overload: { maxRssBytes: 1 } })
  app.oca.overload.sample()
  for (let i = 0; i < 3; i++) t.equal((await rawRequest(url, '/titles/t1/a.m4s')).status, 503)
  t.match((await rawRequest(url, '/metrics')).body.toString(), /^oca_requests_total\{status="503",tier="none"\} 3$/m)
})
