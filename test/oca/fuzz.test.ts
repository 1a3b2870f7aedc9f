import type { ServerResponse } from 'node:http'
import fc from 'fast-check'
import t from 'tap'
import { sha256 } from '../../lib/hash.js'
import { reprDigest } from '../../lib/http/repr-digest.js'
import { type Got, knownBytes, rawRequest, startOca, startParent, tempDir } from './helpers.js'

/**
 * Property-based test of the OCA's HTTP surface with a real parent that
 * misbehaves at random: random paths, methods, Range and conditional
 * headers; the parent fails before headers, mid-body, sends wrong bytes,
 * stalls past the node's deadline, or is slow. Properties:
 *   - the node never dies (no unhandled rejection, /health answers at the end);
 *   - every status is one of the documented set;
 *   - a 200/206 body is a byte-exact slice of the real object, never anything else;
 *   - HEAD agrees with GET on the representation headers;
 *   - a cut connection only ever ends a streamed miss whose parent lied or broke.
 * Seeded and bounded so it runs in seconds in `npm test`. Longer runs:
 *   OCLAB_FUZZ_RUNS=5000 npx tap test/oca/fuzz.test.ts
 * and a failure's seed (printed by fast-check) replays with OCLAB_FUZZ_SEED=<seed>.
 */
const RUNS = Number(process.env.OCLAB_FUZZ_RUNS ?? 150)
const SEED = Number(process.env.OCLAB_FUZZ_SEED ?? 15_2026)

const OBJECTS = [knownBytes(0), knownBytes(1, 3), knownBytes(70_000, 5)]
const etagOf = (b: Buffer): string => `"${sha256(b).slice(0, 32)}"`
const DOCUMENTED = new Set([200, 204, 206, 304, 400, 401, 403, 404, 405, 412, 416, 502, 504])
const REPRESENTATION_HEADERS = ['etag', 'content-type', 'cache-control', 'repr-digest', 'accept-ranges'] as const

type Behaviour = 'ok' | 'slow' | 'fail-before-headers' | 'fail-mid-body' | 'wrong-bytes' | 'stall'
const LYING: ReadonlySet<Behaviour> = new Set(['fail-mid-body', 'wrong-bytes'])

const urlChar = fc.constantFrom(...'abcxyz019-._~%/?=&:;,+'.split(''), '..', '%2e', '%2F', '%00', '//')
const junk = fc.string({ unit: urlChar, maxLength: 24 })

const pathArb = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('object' as const), obj: fc.nat({ max: OBJECTS.length - 1 }), fresh: fc.boolean() }) },
  { weight: 2, arbitrary: junk.map((j) => ({ kind: 'junk' as const, path: `/titles/t1/${j}` })) },
  { weight: 1, arbitrary: fc.tuple(junk, junk, junk).map(([a, b, c]) => ({ kind: 'junk' as const, path: `/t/${a}/${b}/titles/t1/${c}` })) },
  {
    weight: 1,
    arbitrary: fc.constantFrom('/health', '/metrics', '/', '/titles', '/titles/', '/admin/titles').map((path) => ({ kind: 'other' as const, path })),
  },
)

const rangeArb = fc.oneof(
  fc.tuple(fc.nat({ max: 70_010 }), fc.nat({ max: 70_010 })).map(([a, b]) => `bytes=${Math.min(a, b)}-${Math.max(a, b)}`),
  fc.nat({ max: 70_010 }).map((n) => `bytes=-${n}`),
  fc.nat({ max: 70_010 }).map((n) => `bytes=${n}-`),
  fc.constantFrom('bytes=0-0,5-9', 'bytes=5-1', 'items=0-1', 'bytes=', 'bytes=-', 'bytes=abc', 'bytes=0-1,'),
  junk,
)
const conditionalArb = (obj: number) =>
  fc.oneof(fc.constant(etagOf(OBJECTS[obj]!)), fc.constant(`W/${etagOf(OBJECTS[obj]!)}`), fc.constantFrom('*', '"nope"', 'garbage', '"a", "b"'))
const dateArb = fc.oneof(
  fc.constantFrom(new Date(0).toUTCString(), new Date(Date.now() + 86_400_000).toUTCString(), 'not a date'),
  fc.date({ min: new Date(0), max: new Date(4102444800000), noInvalidDate: true }).map((d) => d.toUTCString()),
)

const requestArb = fc.record({
  target: pathArb,
  method: fc.oneof(
    { weight: 5, arbitrary: fc.constantFrom('GET', 'HEAD') },
    { weight: 1, arbitrary: fc.constantFrom('POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH') },
  ),
  behaviour: fc.constantFrom<Behaviour>('ok', 'ok', 'slow', 'fail-before-headers', 'fail-mid-body', 'wrong-bytes', 'stall'),
  range: fc.option(rangeArb, { nil: undefined }),
  ifNoneMatch: fc.option(conditionalArb(2), { nil: undefined }),
  ifModifiedSince: fc.option(dateArb, { nil: undefined }),
  ifRange: fc.option(fc.oneof(conditionalArb(2), dateArb), { nil: undefined, freq: 8 }),
})

type RandomRequest = typeof requestArb extends fc.Arbitrary<infer V> ? V : never

/** The first request for an object path gets the chosen behaviour; later ones an honest parent. */
function misbehave(res: ServerResponse, body: Buffer, b: Behaviour): boolean {
  const headers = { 'content-length': body.length, etag: etagOf(body), 'repr-digest': reprDigest(sha256(body)) }
  switch (b) {
    case 'fail-before-headers':
      res.socket?.destroy()
      return true
    case 'fail-mid-body':
      res.writeHead(200, headers)
      res.write(body.subarray(0, body.length >> 1), () => res.socket?.destroy())
      return true
    case 'wrong-bytes': {
      const bad = Buffer.from(body)
      if (bad.length) bad[bad.length >> 1]! ^= 0x40
      res.writeHead(200, headers)
      res.end(bad.length ? bad : Buffer.from('x'))
      return true
    }
    case 'stall':
      return true // no answer: the node's headers timeout turns it into 504
    default:
      return false
  }
}

t.test('OCA HTTP surface under random requests and a misbehaving parent', async (t) => {
  const rejections: unknown[] = []
  const onRejection = (r: unknown): number => rejections.push(r)
  process.on('unhandledRejection', onRejection)
  t.teardown(() => void process.off('unhandledRejection', onRejection))

  const parent = await startParent(t, {})
  const plan = new Map<string, { body: Buffer; behaviour: Behaviour; served: number }>()
  parent.handler = async (req, res) => {
    const p = plan.get((req.url ?? '').split('?')[0]!.replace(/^\/t\/[^/]*\/[^/]*/, ''))
    if (!p) return false // 404
    const first = p.served++ === 0
    if (first && p.behaviour === 'slow') await new Promise((r) => setTimeout(r, 20))
    if (first && misbehave(res, p.body, p.behaviour)) return true
    res.writeHead(200, { 'content-length': p.body.length, etag: etagOf(p.body), 'repr-digest': reprDigest(sha256(p.body)) })
    res.end(p.body)
    return true
  }
  const { url } = await startOca(t, { storeDir: await tempDir(t), parentUrl: parent.url, fill: { headersTimeoutMs: 300 } })

  let fresh = 0
  const lastPath = new Map<number, string>()
  const check = async (r: RandomRequest): Promise<void> => {
    const headers: Record<string, string> = {}
    if (r.range !== undefined) headers.range = r.range
    if (r.ifNoneMatch !== undefined) headers['if-none-match'] = r.ifNoneMatch
    if (r.ifModifiedSince !== undefined) headers['if-modified-since'] = r.ifModifiedSince
    if (r.ifRange !== undefined) headers['if-range'] = r.ifRange
    let path: string
    let obj: Buffer | undefined
    let lied = false
    if (r.target.kind === 'object') {
      obj = OBJECTS[r.target.obj]!
      const reuse = lastPath.get(r.target.obj)
      if (r.target.fresh || !reuse) {
        path = `/titles/t1/v1/obj-${r.target.obj}-${++fresh}.m4s`
        plan.set(path, { body: obj, behaviour: r.behaviour, served: 0 })
        lastPath.set(r.target.obj, path)
        lied = LYING.has(r.behaviour)
      } else {
        path = reuse
      }
    } else {
      path = r.target.path
    }
    const what = `${r.method} ${path} ${JSON.stringify(headers)} (parent: ${r.target.kind === 'object' ? r.behaviour : '-'})`
    const got: Got | undefined = await rawRequest(url, path, { method: r.method, headers }).catch(() => undefined)
    if (!got) {
      // Only a streamed miss whose parent lied or broke mid-body may be cut.
      if (!(lied && r.method === 'GET')) throw new Error(`connection cut: ${what}`)
      return
    }
    if (!DOCUMENTED.has(got.status)) throw new Error(`undocumented status ${got.status}: ${what}`)
    if (got.status === 200 || got.status === 206) {
      if (r.method === 'HEAD') {
        if (got.body.length !== 0) throw new Error(`HEAD with a body: ${what}`)
      } else if (obj) {
        const want = got.status === 206 ? slice(obj, got.headers['content-range']) : obj
        if (!want || !got.body.equals(want))
          throw new Error(`${got.status} body is not the object's bytes (${got.body.length} bytes, content-range ${got.headers['content-range']}): ${what}`)
      } else if (path.startsWith('/titles/') || path.startsWith('/t/')) {
        if (!OBJECTS.some((o) => got.body.equals(o))) throw new Error(`a 200 for a path that is no object: ${what}`)
      }
    }
    // HEAD agrees with GET once the object is held (any verified answer).
    if (obj && r.method === 'GET' && [200, 206, 304, 412, 416].includes(got.status)) {
      const head = await rawRequest(url, path, { method: 'HEAD', headers })
      const expected = got.status === 206 || got.status === 416 ? 200 : got.status // HEAD ignores Range
      if (head.status !== expected) throw new Error(`HEAD ${head.status} vs GET ${got.status}: ${what}`)
      // A 416 carries no representation headers (the range fits no byte); its HEAD is a 200 that does.
      if (got.status !== 416)
        for (const h of REPRESENTATION_HEADERS) {
          if (head.headers[h] !== got.headers[h]) throw new Error(`HEAD and GET disagree on ${h} (${head.headers[h]} vs ${got.headers[h]}): ${what}`)
        }
      if (got.status === 200 && head.headers['content-length'] !== got.headers['content-length'])
        throw new Error(`HEAD and GET disagree on content-length: ${what}`)
    }
  }

  await fc.assert(fc.asyncProperty(requestArb, check), { numRuns: RUNS, seed: SEED, endOnFailure: true })
  t.pass(`${RUNS} random requests (seed ${SEED}) held every property`)

  const health = await rawRequest(url, '/health')
  t.equal(health.status, 200, 'the node still serves')
  t.same(rejections.map(String), [], 'no unhandled rejection')
})

function slice(obj: Buffer, contentRange: string | string[] | undefined): Buffer | undefined {
  const m = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(typeof contentRange === 'string' ? contentRange : '')
  if (!m || Number(m[3]) !== obj.length) return undefined
  return obj.subarray(Number(m[1]), Number(m[2]) + 1)
}
