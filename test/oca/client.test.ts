import type { AddressInfo } from 'node:net'
import Fastify from 'fastify'
import t from 'tap'
import { ErrorCodes } from '../../lib/errors.js'
import { sha256 } from '../../lib/hash.js'
import { OcaClient } from '../../oca/client.js'
import { ADMIN, knownBytes, putFile, startOca, startParent, tempDir } from './helpers.js'

/** The OCA's typed client against the real server (every answer passes the schema the server types it with) and against wrong servers. */

t.test("the real OCA's answers pass its client's checks", async (t) => {
  const dir = await tempDir(t)
  const held = knownBytes(3000)
  await putFile(dir, 't1', 'v1/seg-00001.m4s', held)
  const oca = await startOca(t, { storeDir: dir })
  const body = knownBytes(5000, 3)
  const parent = await startParent(t, { '/titles/t2/v1/seg-00001.m4s': body })
  const c = new OcaClient(oca.url, ADMIN, { timeoutMs: 10_000 })
  const h = await c.health()
  t.equal(h.id, 'test')
  t.same(h.titles, ['t1'])
  t.match(await c.titles(), [{ id: 't1', bytes: 3000, pinned: false, files: [{ path: 'v1/seg-00001.m4s', sha256: sha256(held) }] }])
  let p = await c.fill({ titleId: 't2', files: [{ path: 'v1/seg-00001.m4s', bytes: body.length, sha256: sha256(body) }], parent: parent.url })
  t.equal(p.titleId, 't2')
  const deadline = Date.now() + 30_000
  while (p.status === 'running') {
    if (Date.now() > deadline) throw new Error('waited 30 s for the fill of t2 to finish')
    await new Promise((r) => setTimeout(r, 50))
    p = await c.progress(p.id)
  }
  t.equal(p.status, 'done')
  t.equal((await c.fills()).length, 1)
  await c.pin('t2')
  t.equal((await c.titles()).find((x) => x.id === 't2')?.pinned, true)
  t.equal(await c.delay(0), 0)
  t.equal(await c.purge('t1'), 3000)
  const served = await c.served()
  t.equal(served.requests, 0, 'no title request was made')
  t.equal(await c.drain(), 'draining')
})

t.test('a server answering the wrong shape or an error gives a clear error naming the API and the mismatch', async (t) => {
  const stub = Fastify()
  stub.get('/health', async () => ({ id: 'x', status: 'fine' }))
  stub.get('/admin/titles', async (_req, reply) => reply.code(500).send({ error: 'disk on fire' }))
  stub.get('/metrics', async (_req, reply) => reply.code(404).send('nope'))
  await stub.listen({ host: '127.0.0.1', port: 0 })
  t.teardown(() => stub.close())
  const c = new OcaClient(`http://127.0.0.1:${(stub.server.address() as AddressInfo).port}`, ADMIN)
  await t.rejects(c.health(), {
    code: ErrorCodes.BAD_RESPONSE,
    message:
      /GET \/health at OCA .* is not a valid OCA health \(GET \/health\):\n {2}\/uptimeSeconds: Expected required property[\s\S]*\/status: Expected union value/,
  })
  await t.rejects(c.titles(), { code: ErrorCodes.UPSTREAM_FAILED, message: /GET \/admin\/titles at OCA .*: HTTP 500 disk on fire/ })
  await t.rejects(c.metrics(), { code: ErrorCodes.UPSTREAM_FAILED, message: /HTTP 404/ })
  await stub.close()
  await t.rejects(c.health(), { code: ErrorCodes.UPSTREAM_FAILED, message: /GET \/health at OCA .* failed: / })
})
