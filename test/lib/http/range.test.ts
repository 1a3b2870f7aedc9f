import t from 'tap'
import { planResponse } from '../../../lib/http/plan-response.js'
import { MAX_RANGES, parseRange } from '../../../lib/http/range.js'

t.test('single, open-ended and suffix ranges (RFC 9110 §14.1.2)', async (t) => {
  t.same(parseRange('bytes=0-499', 1000), { kind: 'ranges', ranges: [{ start: 0, end: 499 }] })
  t.same(parseRange('bytes=500-', 1000), { kind: 'ranges', ranges: [{ start: 500, end: 999 }] })
  t.same(parseRange('bytes=-200', 1000), { kind: 'ranges', ranges: [{ start: 800, end: 999 }] })
  t.same(parseRange('bytes=-5000', 1000), { kind: 'ranges', ranges: [{ start: 0, end: 999 }] }, 'suffix longer than the object is the whole object')
  t.same(parseRange('bytes=900-5000', 1000), { kind: 'ranges', ranges: [{ start: 900, end: 999 }] }, 'last-pos clamped')
  t.same(parseRange('Bytes = 1-1', 10), { kind: 'ranges', ranges: [{ start: 1, end: 1 }] }, 'unit is case-insensitive')
})

t.test('unsatisfiable sets', async (t) => {
  t.same(parseRange('bytes=1000-', 1000), { kind: 'unsatisfiable' })
  t.same(parseRange('bytes=-0', 1000), { kind: 'unsatisfiable' })
  t.same(parseRange('bytes=0-0', 0), { kind: 'unsatisfiable' })
  t.same(parseRange('bytes=2000-3000, 4000-', 1000), { kind: 'unsatisfiable' })
})

t.test('invalid headers are ignored, not refused (§14.2)', async (t) => {
  for (const h of ['bytes=5-1', 'bytes=abc', 'items=0-1', 'bytes', 'bytes=1-2-3', 'bytes=0x1-2', 'bytes=-', 'bytes= - 5']) {
    t.same(parseRange(h, 1000), { kind: 'full' }, h)
  }
  t.same(parseRange(undefined, 1000), { kind: 'full' })
  const many = `bytes=${Array.from({ length: MAX_RANGES + 1 }, (_, i) => `${i}-${i}`).join(',')}`
  t.same(parseRange(many, 1000), { kind: 'full' }, 'absurd range lists are ignored')
})

t.test('multiple ranges parse, and the planner answers them with the full body', async (t) => {
  t.same(parseRange('bytes=0-1, ,5-6', 10), {
    kind: 'ranges',
    ranges: [
      { start: 0, end: 1 },
      { start: 5, end: 6 },
    ],
  })
  const rep = { size: 10, etag: '"abc"', lastModified: 0, contentType: 'video/mp4', cacheControl: 'x' }
  const p = planResponse('GET', { range: 'bytes=0-1,5-6' }, rep)
  t.equal(p.status, 200)
  t.equal(p.headers['content-length'], '10')
})

t.test('planner: 206 with Content-Range, 416 with bytes */size, HEAD ignores Range', async (t) => {
  const rep = { size: 1000, etag: '"abc"', lastModified: Date.UTC(2024, 0, 1), contentType: 'video/iso.segment', cacheControl: 'c' }
  const p = planResponse('GET', { range: 'bytes=-10' }, rep)
  t.equal(p.status, 206)
  t.same(p.range, { start: 990, end: 999 })
  t.equal(p.headers['content-range'], 'bytes 990-999/1000')
  t.equal(p.headers['content-length'], '10')
  const u = planResponse('GET', { range: 'bytes=1000-' }, rep)
  t.equal(u.status, 416)
  t.equal(u.headers['content-range'], 'bytes */1000')
  t.equal(planResponse('HEAD', { range: 'bytes=0-1' }, rep).status, 200)
})
