import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import Fastify from 'fastify'
import t from 'tap'
import { validateCluster } from '../../lib/cluster.js'
import { ErrorCodes } from '../../lib/errors.js'
import { freePort } from '../../lib/free-port.js'
import { OriginClient } from '../../origin/client.js'
import { ingestPackage } from '../../origin/ingest.js'
import { zipfPopularity } from '../../origin/popularity.js'
import { buildOriginServer } from '../../origin/server.js'
import { tempDir } from '../helpers/package.js'
import { ADMIN, twoRungPackage } from './helpers.js'

/** The origin's typed client against the real server (every answer passes the schema the server types it with) and against wrong servers. */

t.test("the real origin's answers pass its client's checks", async (t) => {
  const dir = await tempDir(t, 'oclab-origin-client-')
  const store = join(dir, 'origin')
  t.equal((await ingestPackage(await twoRungPackage(dir), store)).outcome, 'added')
  const down = `http://127.0.0.1:${await freePort()}`
  const cluster = validateCluster({
    version: 1,
    adminToken: ADMIN,
    origin: { url: 'http://127.0.0.1:9' },
    steering: { url: 'http://127.0.0.1:9' },
    ocas: [{ id: 'd1', url: down, site: 'fra', region: 'eu', lat: 0, lon: 0, coverage: [], capacityBytes: 1e8 }],
  })
  const app = buildOriginServer({
    storeDir: store,
    cluster,
    popularity: async (titleIds) => zipfPopularity({ titleIds, regions: ['eu'] }),
    preposition: { pollMs: 20 },
  })
  await app.listen({ host: '127.0.0.1', port: 0 })
  t.teardown(() => app.close())
  const c = new OriginClient(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}`, ADMIN, { timeoutMs: 10_000 })

  const catalog = await c.catalog()
  t.equal(catalog.titles.length, 1)
  t.match(catalog.titles[0], { id: 'alpha', placedOn: [] })
  t.ok(
    catalog.titles[0]?.ladder.some((r) => r.type === 'video' && r.width !== undefined),
    'video rungs carry their size',
  )
  t.same(catalog.invalid, {})
  t.match(await c.health(), { status: 'ok', titles: 1 })

  const id = await c.startPreposition({ dryRun: true })
  let run = await c.prepositionRun(id)
  t.equal(run.id, id)
  const deadline = Date.now() + 30_000
  while (run.status === 'running') {
    if (Date.now() > deadline) throw new Error(`waited 30 s for pre-position ${id}`)
    await new Promise((r) => setTimeout(r, 20))
    run = await c.prepositionRun(id)
  }
  t.equal(run.status, 'done')
  t.match(run.report?.sites, [{ oca: 'd1', status: 'down' }], 'a report with a down OCA passes the check too')
  await t.rejects(c.prepositionRun('pp-none'), { code: ErrorCodes.UPSTREAM_FAILED, message: /HTTP 404 no pre-position run pp-none/ })
})

t.test('a server answering the wrong shape or an error gives a clear error naming the API and the field', async (t) => {
  const stub = Fastify()
  stub.get('/catalog', async () => ({ titles: [{ id: 'x', duration: 10, bytes: 'many', ladder: [], placedOn: [] }], invalid: {} }))
  stub.get('/health', async () => ({ status: 'ok', titles: 1, requests: 0, unhandledRejections: 0 }))
  stub.post('/admin/preposition', async (_req, reply) => reply.code(409).send({ error: 'a pre-position run is already in progress', id: 'pp-1' }))
  stub.get('/admin/prepositions/:id', async () => ({ id: 'pp-1', status: 'done', startedAt: 'now', report: { sites: 'all' } }))
  await stub.listen({ host: '127.0.0.1', port: 0 })
  t.teardown(() => stub.close())
  const c = new OriginClient(`http://127.0.0.1:${(stub.server.address() as AddressInfo).port}`, ADMIN)
  await t.rejects(c.catalog(), {
    code: ErrorCodes.BAD_RESPONSE,
    message: /GET \/catalog at origin .* is not a valid origin catalog \(GET \/catalog\):\n {2}\/titles\/0\/bytes: Expected number/,
  })
  await t.rejects(c.health(), { code: ErrorCodes.BAD_RESPONSE, message: /\/bytesServed: Expected required property/ })
  await t.rejects(c.startPreposition(), {
    code: ErrorCodes.UPSTREAM_FAILED,
    message: /POST \/admin\/preposition at origin .*: HTTP 409 a pre-position run is already in progress/,
  })
  await t.rejects(c.prepositionRun('pp-1'), { code: ErrorCodes.BAD_RESPONSE, message: /\/report\/startedAt: Expected required property/ })
  await stub.close()
  await t.rejects(c.catalog(), { code: ErrorCodes.UPSTREAM_FAILED, message: /GET \/catalog at origin .* failed: / })
})
