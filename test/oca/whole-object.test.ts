import { Writable } from 'node:stream'
import t from 'tap'
import { waitFor } from '../helpers/wait.js'
import { knownBytes, putFile, rawRequest, startOca, tempDir } from './helpers.js'

/**
 * Issue 21 §1: a plain GET of a whole object takes a fast path (header fields
 * planned once per object; a hot-tier Buffer written to the socket without
 * Fastify's send pipeline). It must answer exactly as the general path does,
 * and be counted, logged and released as every other answer is.
 */

const SEG = '/titles/t1/v1/seg-1.m4s'

/** Headers that differ per request by design. */
const perRequest = (h: Record<string, unknown>): Record<string, unknown> => {
  const { date: _d, 'x-request-id': _id, ...rest } = h
  return rest
}

const metricsText = async (url: string): Promise<string> => (await rawRequest(url, '/metrics')).body.toString()
const metric = (text: string, line: RegExp): number => Number(line.exec(text)?.[1] ?? Number.NaN)

t.test('a plain GET answers byte for byte and header for header as the general path does, on both tiers', async (t) => {
  const dir = await tempDir(t)
  const body = knownBytes(300_000)
  const big = knownBytes(600_000, 3)
  await putFile(dir, 't1', 'v1/seg-1.m4s', body)
  await putFile(dir, 't1', 'v1/big.m4s', big)
  // The big object is above the hot tier's entry limit: always a disk hit.
  const { app, url } = await startOca(t, { storeDir: dir, memoryBytes: 1_000_000, maxMemoryEntryBytes: 500_000 })

  // An If-None-Match that matches nothing keeps the answer a 200 but takes the general path.
  const general = await rawRequest(url, '/titles/t1/v1/big.m4s', { headers: { 'if-none-match': '"nothing"' } })
  const plain = await rawRequest(url, '/titles/t1/v1/big.m4s', { headers: { 'x-request-id': 'disk-1' } })
  t.equal(plain.status, 200)
  t.equal(plain.headers['x-cache'], 'HIT-DISK')
  t.ok(plain.body.equals(big), 'disk hit: the stored bytes')
  t.same(perRequest(plain.headers), perRequest(general.headers), 'disk hit: the same header fields')
  t.equal(plain.headers['x-request-id'], 'disk-1')

  await rawRequest(url, SEG)
  await waitFor(() => app.oca.hot.get('t1', 'v1/seg-1.m4s') !== undefined, 'the disk hit promoted to the hot tier')
  const hotGeneral = await rawRequest(url, SEG, { headers: { 'if-none-match': '"nothing"' } })
  const hot = await rawRequest(url, SEG, { headers: { 'x-request-id': 'hot-1' } })
  t.equal(hot.status, 200)
  t.equal(hot.headers['x-cache'], 'HIT-MEMORY')
  t.ok(hot.body.equals(body), 'hot hit: the stored bytes')
  t.same(perRequest(hot.headers), perRequest(hotGeneral.headers), 'hot hit: the same header fields')
  t.equal(hot.headers['x-request-id'], 'hot-1', 'the request id is echoed as on every other answer')
  t.match(hot.headers, {
    'content-length': '300000',
    'content-type': 'video/iso.segment',
    'accept-ranges': 'bytes',
    'access-control-allow-origin': '*',
    'repr-digest': /^sha-256=:/,
  })
  const generated = await rawRequest(url, SEG)
  t.match(generated.headers['x-request-id'], /\S/, 'an id is generated when the client sends none')

  // Range, conditionals and HEAD keep their own answers on the hot tier.
  t.equal((await rawRequest(url, SEG, { headers: { range: 'bytes=10-19' } })).body.length, 10)
  t.equal((await rawRequest(url, SEG, { headers: { 'if-none-match': hot.headers.etag as string } })).status, 304)
  const head = await rawRequest(url, SEG, { method: 'HEAD' })
  t.equal(head.body.length, 0)
  t.equal(head.headers['content-length'], '300000')
})

t.test('hot-tier hits on the fast path are counted, their bytes served, the budget released and the answer logged', async (t) => {
  const dir = await tempDir(t)
  await putFile(dir, 't1', 'v1/seg-1.m4s', knownBytes(50_000))
  const lines: { msg?: string; tier?: string; bytes?: number; status?: number; reqId?: string }[] = []
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l))
      done()
    },
  })
  const { app, url } = await startOca(t, { storeDir: dir, memoryBytes: 1_000_000, logger: { level: 'debug', stream } })
  await rawRequest(url, SEG)
  await waitFor(() => app.oca.hot.get('t1', 'v1/seg-1.m4s') !== undefined, 'the disk hit promoted to the hot tier')

  for (let i = 0; i < 5; i++) {
    const r = await rawRequest(url, SEG, { headers: { 'x-request-id': `hot-${i}` } })
    t.equal(r.headers['x-cache'], 'HIT-MEMORY')
  }
  await waitFor(async () => /oca_requests_total\{status="200",tier="memory"\} 5$/m.test(await metricsText(url)), 'five memory hits counted')
  const text = await metricsText(url)
  t.equal(metric(text, /^oca_bytes_served_total\{tier="memory"\} (\d+)$/m), 250_000, 'all five bodies counted as served')
  t.equal(metric(text, /^oca_requests_total\{status="200",tier="disk"\} (\d+)$/m), 1)
  await waitFor(() => app.oca.inFlight === 0, 'every request closed', { state: () => app.oca.inFlight })
  t.equal(app.oca.inFlightBytes.usedBytes, 0, 'every answer released its in-flight bytes')
  const served = lines.filter((l) => l.msg === 'served' && l.tier === 'memory')
  t.same(
    served.map((l) => [l.reqId, l.status, l.bytes]),
    [0, 1, 2, 3, 4].map((i) => [`hot-${i}`, 200, 50_000]),
    'one debug line per hot answer, with its request id',
  )
})
