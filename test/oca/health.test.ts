import t from 'tap'
import { waitFor } from '../helpers/wait.js'
import { auth, knownBytes, putFile, rawRequest, startOca, startParent, tempDir } from './helpers.js'

t.test('/health has the documented shape and /metrics speaks Prometheus', async (t) => {
  const dir = await tempDir(t)
  await putFile(dir, 't1', 'v1/seg-1.m4s', knownBytes(5000))
  await putFile(dir, 't2', 'master.m3u8', '#EXTM3U\n')
  const { app, url } = await startOca(t, { storeDir: dir, id: 'a1', site: 'a', capacityBytes: 1_000_000, memoryBytes: 200_000 })
  await rawRequest(url, '/titles/t1/v1/seg-1.m4s')
  // a disk hit is promoted to the hot tier by a separate read after it is answered
  await waitFor(() => app.oca.hot.get('t1', 'v1/seg-1.m4s') !== undefined, 'the disk hit promoted to the hot tier')
  await rawRequest(url, '/titles/t1/v1/seg-1.m4s')
  await rawRequest(url, '/titles/t1/v1/nope.m4s')
  const r = await rawRequest(url, '/health')
  t.equal(r.status, 200)
  const h = JSON.parse(r.body.toString())
  t.same(Object.keys(h).sort(), ['bytesServedPerSecond', 'disk', 'fills', 'id', 'memory', 'overload', 'requests', 'site', 'status', 'titles', 'uptimeSeconds'])
  t.equal(h.id, 'a1')
  t.equal(h.status, 'ok')
  t.same(h.titles, ['t1', 't2'])
  t.same(h.disk, { usedBytes: 5008, capacityBytes: 1_000_000, objects: 2 })
  t.same(h.memory, { usedBytes: 5000, capacityBytes: 200_000, objects: 1 })
  t.equal(h.requests.inFlight, 1, 'the health request itself')
  t.equal(h.requests.total, 4)
  t.type(h.bytesServedPerSecond, 'number')
  t.type(h.overload.eventLoopDelayMs, 'number')

  const m = await rawRequest(url, '/metrics')
  t.match(m.headers['content-type'], /text\/plain/)
  const text = m.body.toString()
  t.match(text, /oca_requests_total\{status="200",tier="disk"\} 1/)
  t.match(text, /oca_requests_total\{status="200",tier="memory"\} 1/)
  t.match(text, /oca_bytes_served_total\{tier="memory"\} 5000/)
  t.match(text, /oca_disk_used_bytes 5008/)
  t.match(text, /# TYPE oca_parent_fetch_seconds histogram/)
})

t.test('an overloaded node sheds title requests with 503 and says so', async (t) => {
  const dir = await tempDir(t)
  await putFile(dir, 't1', 'v1/seg-1.m4s', knownBytes(10))
  const { app, url } = await startOca(t, { storeDir: dir, overload: { maxRssBytes: 1 } })
  app.oca.overload.sample()
  const r = await rawRequest(url, '/titles/t1/v1/seg-1.m4s')
  t.equal(r.status, 503)
  t.equal(r.headers['retry-after'], '1')
  const h = await rawRequest(url, '/health')
  t.equal(h.status, 503)
  const body = JSON.parse(h.body.toString())
  t.equal(body.status, 'overloaded')
  t.match(body.overload.reasons[0], /rss/)
})

t.test('drain: health says draining, in-flight responses finish whole, then the node closes', async (t) => {
  const body = knownBytes(500_000, 4)
  const parent = await startParent(t, { '/titles/t1/slow.m4s': body })
  let open!: () => void
  parent.hold = new Promise<void>((r) => (open = r))
  const dir = await tempDir(t)
  let drained = false
  const { app, url } = await startOca(t, { storeDir: dir, parentUrl: parent.url, onDrained: () => (drained = true) })
  const inflight = rawRequest(url, '/titles/t1/slow.m4s')
  await waitFor(() => app.oca.inFlight >= 1, 'the slow request to be in flight', { state: () => ({ inFlight: app.oca.inFlight }) })
  const d = await rawRequest(url, '/admin/drain', { method: 'POST', headers: auth })
  t.equal(d.status, 202)
  t.equal(JSON.parse(d.body.toString()).status, 'draining')
  t.equal(app.oca.status(), 'draining')
  t.notOk(drained, 'not closed while a response is in flight')
  open()
  const r = await inflight
  t.equal(r.status, 200)
  t.ok(r.body.equals(body), 'the in-flight response finished whole')
  await app.drain()
  t.ok(drained)
  await t.rejects(rawRequest(url, '/health'), 'no longer listening')
})

t.test('admin delay slows title responses (fault injection) and can be cleared', async (t) => {
  const dir = await tempDir(t)
  await putFile(dir, 't1', 'a.m4s', knownBytes(10))
  const { app, url } = await startOca(t, { storeDir: dir })
  const delay = (ms: number) =>
    rawRequest(url, '/admin/delay', { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ ms }) })
  const DELAY = 1000
  const set = await delay(DELAY)
  t.same(JSON.parse(set.body.toString()), { delayMs: DELAY })
  t.equal(app.oca.delayMs, DELAY)
  // Only a lower bound on the round trip, which cannot flake: a loaded
  // machine can only make it longer. A no-op delay answers a 10-byte object
  // from memory in milliseconds.
  const t0 = performance.now()
  t.equal((await rawRequest(url, '/titles/t1/a.m4s')).status, 200)
  const took = performance.now() - t0
  t.ok(took >= DELAY - 1, `the title answer took at least the configured delay (${took.toFixed(0)} ms >= ${DELAY} ms)`)
  await delay(0)
  t.equal(app.oca.delayMs, 0)
  t.equal((await delay(-1)).status, 400)
})
