import { connect, type Socket } from 'node:net'
import t from 'tap'
import { HotTier } from '../../oca/hot-tier.js'
import { InFlightBudget } from '../../oca/in-flight-budget.js'
import { waitFor } from '../helpers/wait.js'
import { knownBytes, putFile, rawRequest, startOca, tempDir } from './helpers.js'

/**
 * Issue 21: memory is the hot tier + the in-flight budget + a fixed overhead.
 * A hot-tier answer sends the tier's own Buffer, so it costs the budget
 * nothing until the tier lets go of that Buffer while answers still send it;
 * then its bytes are charged once, until the last of those answers ends.
 */
const meta = (path: string, bytes: number) => ({ titleId: 't', path, bytes, mtimeMs: 0, lastAccess: 0, hits: 0 }) as never

t.test('the budget refuses what does not fit, and counts what is already in memory', async (t) => {
  const b = new InFlightBudget(100)
  const first = b.take(80)!
  t.ok(first)
  t.equal(b.take(30), undefined, '80 + 30 > 100')
  const forced = b.charge(50)
  t.equal(b.usedBytes, 130, 'a charge is counted even over the limit')
  t.equal(b.take(1), undefined, 'and keeps new takes out')
  forced()
  forced()
  first()
  t.equal(b.usedBytes, 0, 'each release counts once')
  t.ok(b.take(500), 'a take larger than the budget fits an empty one')
})

t.test('an entry evicted while answers send it is charged once, until the last one ends', async (t) => {
  const budget = new InFlightBudget(1_000_000)
  const tier = new HotTier({ maxBytes: 1000, maxEntryBytes: 1000, chargePinned: (n) => budget.charge(n) })
  tier.set(meta('a', 600), Buffer.alloc(600))
  const a = tier.get('t', 'a')!
  const unpin1 = tier.pin(a)
  const unpin2 = tier.pin(a)
  for (let i = 0; i < 3; i++) tier.get('t', 'b') // b is asked for more often than a: admitted over it
  tier.set(meta('b', 600), Buffer.alloc(600))
  t.equal(tier.get('t', 'a'), undefined, 'a was evicted')
  t.equal(budget.usedBytes, 600, 'its Buffer is charged once for its two answers')
  unpin1()
  t.equal(budget.usedBytes, 600)
  unpin2()
  unpin2()
  t.equal(budget.usedBytes, 0, 'released when the last answer is done')
  const b = tier.get('t', 'b')!
  tier.pin(b)()
  for (let i = 0; i < 9; i++) tier.get('t', 'c')
  tier.set(meta('c', 600), Buffer.alloc(600))
  t.equal(tier.get('t', 'b'), undefined)
  t.equal(budget.usedBytes, 0, 'an entry no answer holds costs nothing when evicted')
})

/** A client that sends one GET, reads the status line, then stops reading: the answer stays in flight. */
function stalledGet(url: string, path: string): Promise<{ status: number; socket: Socket }> {
  const { hostname, port } = new URL(url)
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname)
    let head = ''
    socket.on('error', reject)
    socket.on('data', (c: Buffer) => {
      if (head.includes('\r\n')) return
      head += c.toString('latin1')
      const m = /^HTTP\/1\.1 (\d{3})/.exec(head)
      if (m) {
        socket.pause()
        resolve({ status: Number(m[1]), socket })
      }
    })
    socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`)
  })
}

t.test('hot-tier answers are not shed by a small in-flight budget: they share the tier Buffer', async (t) => {
  const dir = await tempDir(t)
  const body = knownBytes(8_000_000)
  await putFile(dir, 't1', 'v1/big.m4s', body)
  const { app, url } = await startOca(t, { storeDir: dir, memoryBytes: 16_000_000, maxMemoryEntryBytes: 16_000_000, limits: { inFlightBytes: 9_000_000 } })
  // The budget has room for one whole object: its promotion read, or (before) one hot answer at a time.
  await waitFor(async () => {
    const r = await rawRequest(url, '/titles/t1/v1/big.m4s')
    t.ok(r.body.equals(body), 'bytes')
    return r.headers['x-cache'] === 'HIT-MEMORY'
  }, 'the object promoted to the hot tier')
  // Eight clients that stop reading: each answer stays in flight with most of its 8 MB unsent.
  const stalled = await Promise.all(Array.from({ length: 8 }, () => stalledGet(url, '/titles/t1/v1/big.m4s')))
  t.teardown(() => {
    for (const s of stalled) s.socket.destroy()
  })
  t.same(
    stalled.map((s) => s.status),
    Array(8).fill(200),
    'all eight answered from memory (the whole-Buffer charge of each answer allowed one at a time)',
  )
  t.equal(app.oca.inFlightBytes.usedBytes, 0, 'while the object is in the tier, its answers cost the budget nothing')
  const metrics = (await rawRequest(url, '/metrics')).body.toString()
  t.notMatch(metrics, /oca_shed_requests_total\{reason="in-flight-bytes"\} [1-9]/)
})
