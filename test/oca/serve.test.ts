import t from 'tap'
import { sha256 } from '../../lib/hash.js'
import { knownBytes, putFile, rawRequest, startOca, tempDir } from './helpers.js'

const SIZE = 10_000
const body = knownBytes(SIZE)

/** Serve from memory (small entry limit off) and from disk streams (entry limit below the size): both must agree. */
for (const tier of ['memory', 'disk'] as const) {
  t.test(`byte ranges against known bytes (${tier} path)`, async (t) => {
    const dir = await tempDir(t)
    await putFile(dir, 't1', 'v1/seg-00001.m4s', body)
    const { url } = await startOca(t, { storeDir: dir, maxMemoryEntryBytes: tier === 'memory' ? 1 << 20 : 100 })
    const path = '/titles/t1/v1/seg-00001.m4s'
    const get = (range?: string, extra: Record<string, string> = {}) => rawRequest(url, path, { headers: { ...(range ? { range } : {}), ...extra } })

    const full = await get()
    t.equal(full.status, 200)
    t.ok(full.body.equals(body))
    t.equal(full.headers['accept-ranges'], 'bytes')
    t.equal(full.headers['content-length'], String(SIZE))
    t.equal(full.headers.etag, `"${sha256(body).slice(0, 32)}"`)

    const cases: [string, number, number][] = [
      ['bytes=0-0', 0, 0],
      ['bytes=0-99', 0, 99],
      ['bytes=9999-9999', 9999, 9999],
      ['bytes=5000-', 5000, 9999],
      ['bytes=-1', 9999, 9999],
      ['bytes=-100', 9900, 9999],
      ['bytes=-20000', 0, 9999],
      ['bytes=9990-20000', 9990, 9999],
    ]
    for (const [range, start, end] of cases) {
      const r = await get(range)
      t.equal(r.status, 206, range)
      t.equal(r.headers['content-range'], `bytes ${start}-${end}/${SIZE}`, range)
      t.equal(r.headers['content-length'], String(end - start + 1), range)
      t.ok(r.body.equals(body.subarray(start, end + 1)), `${range} bytes`)
    }

    for (const range of ['bytes=10000-', 'bytes=20000-30000', 'bytes=-0']) {
      const r = await get(range)
      t.equal(r.status, 416, range)
      t.equal(r.headers['content-range'], `bytes */${SIZE}`, range)
      t.equal(r.body.length, 0)
    }

    for (const range of ['bytes=5-1', 'items=0-5', 'bytes=abc']) {
      const r = await get(range)
      t.equal(r.status, 200, `${range} is ignored`)
      t.ok(r.body.equals(body))
    }
    const multi = await get('bytes=0-9,100-109')
    t.equal(multi.status, 200, 'multi-range answered with the full body (documented choice)')
    t.ok(multi.body.equals(body))

    const etag = full.headers.etag as string
    const ifRangeOk = await get('bytes=0-9', { 'if-range': etag })
    t.equal(ifRangeOk.status, 206)
    const ifRangeStale = await get('bytes=0-9', { 'if-range': '"0000"' })
    t.equal(ifRangeStale.status, 200, 'stale If-Range gives the whole object')
    t.ok(ifRangeStale.body.equals(body))
    const ifRangeDate = await get('bytes=0-9', { 'if-range': full.headers['last-modified'] as string })
    t.equal(ifRangeDate.status, 206)

    const head = await rawRequest(url, path, { method: 'HEAD', headers: { range: 'bytes=0-9' } })
    t.equal(head.status, 200)
    t.equal(head.headers['content-length'], String(SIZE))
    t.equal(head.body.length, 0)
  })
}

t.test('conditional requests', async (t) => {
  const dir = await tempDir(t)
  await putFile(dir, 't1', 'v1/seg-00001.m4s', body)
  const { url } = await startOca(t, { storeDir: dir })
  const path = '/titles/t1/v1/seg-00001.m4s'
  const first = await rawRequest(url, path)
  const etag = first.headers.etag as string
  const lm = first.headers['last-modified'] as string

  const inm = await rawRequest(url, path, { headers: { 'if-none-match': etag } })
  t.equal(inm.status, 304)
  t.equal(inm.body.length, 0)
  t.equal(inm.headers.etag, etag)
  t.match(inm.headers['cache-control'], /immutable/)
  t.equal((await rawRequest(url, path, { headers: { 'if-none-match': `W/${etag}` } })).status, 304, 'weak comparison for If-None-Match')
  t.equal((await rawRequest(url, path, { headers: { 'if-none-match': '"other"' } })).status, 200)
  t.equal((await rawRequest(url, path, { headers: { 'if-modified-since': lm } })).status, 304)
  t.equal((await rawRequest(url, path, { headers: { 'if-modified-since': new Date(Date.parse(lm) - 10_000).toUTCString() } })).status, 200)
  t.equal(
    (await rawRequest(url, path, { headers: { 'if-none-match': '"other"', 'if-modified-since': lm } })).status,
    200,
    'If-None-Match wins over If-Modified-Since',
  )
  t.equal((await rawRequest(url, path, { headers: { 'if-match': '"other"' } })).status, 412)
  t.equal((await rawRequest(url, path, { headers: { 'if-match': etag } })).status, 200)
  t.equal((await rawRequest(url, path, { headers: { 'if-unmodified-since': new Date(Date.parse(lm) - 10_000).toUTCString() } })).status, 412)
})

t.test('content types, cache policy and CORS for package files', async (t) => {
  const dir = await tempDir(t)
  await putFile(dir, 't1', 'master.m3u8', '#EXTM3U\n')
  await putFile(dir, 't1', 'manifest.mpd', '<MPD/>')
  await putFile(dir, 't1', 'v1/init.mp4', knownBytes(100))
  await putFile(dir, 't1', 'v1/seg-00001.m4s', knownBytes(100))
  const { url } = await startOca(t, { storeDir: dir })
  const expect: [string, string, RegExp][] = [
    ['master.m3u8', 'application/vnd.apple.mpegurl', /max-age=2$/],
    ['manifest.mpd', 'application/dash+xml', /max-age=2$/],
    ['v1/init.mp4', 'video/mp4', /immutable/],
    ['v1/seg-00001.m4s', 'video/iso.segment', /immutable/],
  ]
  for (const [p, type, cc] of expect) {
    const r = await rawRequest(url, `/titles/t1/${p}`, { headers: { origin: 'http://player.example' } })
    t.equal(r.status, 200, p)
    t.equal(r.headers['content-type'], type, p)
    t.match(r.headers['cache-control'], cc, p)
    t.equal(r.headers['access-control-allow-origin'], '*', p)
    t.match(r.headers['access-control-expose-headers'], /Content-Range/, p)
  }
  const pre = await rawRequest(url, '/titles/t1/v1/seg-00001.m4s', {
    method: 'OPTIONS',
    headers: { origin: 'http://player.example', 'access-control-request-method': 'GET', 'access-control-request-headers': 'range' },
  })
  t.equal(pre.status, 204)
  t.match(pre.headers['access-control-allow-headers'], /Range/)
  t.match(pre.headers['access-control-allow-methods'], /GET/)
  const missing = await rawRequest(url, '/titles/t1/v1/seg-99999.m4s')
  t.equal(missing.status, 404, 'no parent: a miss is 404')
})
