import type { AddressInfo } from 'node:net'
import Fastify from 'fastify'
import t from 'tap'
import { ErrorCodes } from '../../lib/errors.js'
import { freePort } from '../../lib/free-port.js'
import { SteeringClient } from '../../steering/client.js'
import { buildSteeringServer } from '../../steering/server.js'
import { clusterOf, ocaConfig, startTestOca } from './helpers.js'

/** Steering's typed client against the real server (its hand-written /v1/steer answer passes the schema in steering/api.ts) and against wrong servers. */

t.test("the real steering service's /v1/steer answer passes its client's check, signed or not", async (t) => {
  for (const signing of [true, false]) {
    const a1 = await startTestOca(t, 'a1', ['t1'], signing)
    const b1 = await startTestOca(t, 'b1', ['t1', 't2'], signing)
    const port = await freePort()
    const cluster = {
      ...clusterOf([ocaConfig('a1', a1.url, 'ams'), ocaConfig('b1', b1.url, 'fra')], { defaultSite: 'fra', signing }),
      steering: { url: `http://127.0.0.1:${port}` },
    }
    const app = buildSteeringServer({ cluster, startHealthChecks: false, fillOnMiss: false, health: { slowMs: 60_000, timeoutMs: 30_000 } })
    await app.listen({ host: '127.0.0.1', port })
    t.teardown(() => app.close())
    await app.steering.checker.pollAll()

    const c = new SteeringClient(cluster.steering.url, { timeoutMs: 10_000 })
    const a = await c.steer('t1', 2)
    t.same(
      a.candidates.map((x) => x.id),
      ['b1', 'a1'],
      `${signing ? 'signed' : 'unsigned'}: the default site first`,
    )
    t.equal(a.client.ip, '127.0.0.1')
    t.equal(a.expires === null, !signing, 'expires is set exactly when URLs are signed')
    t.match(a.candidates[0]?.url, signing ? /\/t\/\d+\/[A-Za-z0-9_-]{43}\/titles\/t1\/$/ : /\/titles\/t1\/$/)
    t.same(
      (await c.steer('t2')).candidates.map((x) => x.id),
      ['b1'],
      'only the OCA that holds t2',
    )
    // no origin in this cluster: steering cannot tell an unknown title from one no OCA holds
    await t.rejects(
      c.steer('nosuch', 2),
      { code: ErrorCodes.UPSTREAM_FAILED, message: /GET \/v1\/steer\?title=nosuch&n=2 at steering .*: HTTP 503 no healthy OCA can serve title nosuch/ },
      "a title no OCA holds: steering's status and reason",
    )
  }
})

t.test('a wrong shape, an empty ranking and a dead server each give a clear error', async (t) => {
  const stub = Fastify()
  stub.get('/v1/steer', async (req, reply) => {
    const { title } = req.query as { title: string }
    if (title === 'down')
      return reply.code(503).send({
        client: { ip: '127.0.0.1', forwarded: false, cidr: null, site: null, how: 'default' },
        title,
        expires: null,
        candidates: [],
        error: 'no healthy OCA can serve title down',
      })
    if (title === 'empty')
      return { client: { ip: '127.0.0.1', forwarded: false, cidr: null, site: null, how: 'default' }, title, expires: null, candidates: [] }
    return { client: { ip: '127.0.0.1' }, title, candidates: [{ id: 'x', url: 'http://x/' }] }
  })
  await stub.listen({ host: '127.0.0.1', port: 0 })
  t.teardown(() => stub.close())
  const c = new SteeringClient(`http://127.0.0.1:${(stub.server.address() as AddressInfo).port}`)
  await t.rejects(c.steer('t1'), { code: ErrorCodes.BAD_RESPONSE, message: /steering GET \/v1\/steer[\s\S]*\/client\/forwarded: Expected required property/ })
  await t.rejects(c.steer('down'), { code: ErrorCodes.UPSTREAM_FAILED, message: /HTTP 503 no healthy OCA can serve title down/ })
  await t.rejects(c.steer('empty'), { code: ErrorCodes.NOT_FOUND, message: /steering gave no OCA for empty/ })
  await stub.close()
  await t.rejects(c.steer('t1'), { code: ErrorCodes.UPSTREAM_FAILED, message: /GET \/v1\/steer\?title=t1&n=3 at steering .* failed: / })
})
