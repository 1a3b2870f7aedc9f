import fc from 'fast-check'
import Fastify, { type FastifyInstance } from 'fastify'
import t from 'tap'
import { SteerQuery } from '../../steering/schemas.js'
import { buildSteeringServer } from '../../steering/server.js'
import { checkSteerQuery } from '../../steering/steer-query.js'
import { clusterOf, listenUrl, ocaConfig, startTestOca } from './helpers.js'

/**
 * /v1/steer's hand-written query check against what it replaced: the
 * SteerQuery schema validated by Fastify itself (its default Ajv options and
 * its error message), on the same query strings parsed by the same Fastify
 * query parser. Every answer must be the same: the same 400 message, or the
 * same values (numbers compared as text, so Infinity is not JSON's null).
 */
const RUNS = Number(process.env.OCLAB_FUZZ_RUNS ?? 1000)
const SEED = Number(process.env.OCLAB_FUZZ_SEED ?? 21_2026)

/** Values as text to compare: keys sorted (the schema kept the query's order), numbers marked (Infinity is not null). */
const asText = (v: object): string =>
  JSON.stringify(Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1))), (_k, x) => (typeof x === 'number' ? `#${x}` : x))

async function referenceAndCandidate(): Promise<FastifyInstance> {
  const app = Fastify()
  app.setErrorHandler(async (err, _req, reply) => reply.code(400).send({ error: (err as Error).message }))
  app.get('/schema', { schema: { querystring: SteerQuery } }, async (req, reply) => reply.type('application/json').send(asText(req.query as object)))
  app.get('/hand', async (req, reply) => {
    const r = checkSteerQuery(req.query as Record<string, unknown>)
    return r.ok ? reply.type('application/json').send(asText(r.value)) : reply.code(400).send({ error: r.error })
  })
  await app.ready()
  return app
}

/** Both answers to a query string, sent raw (percent signs and all) as a client would. */
async function both(app: FastifyInstance, qs: string): Promise<[{ status: number; body: string }, { status: number; body: string }]> {
  const a = await app.inject(`/schema${qs}`)
  const b = await app.inject(`/hand${qs}`)
  return [
    { status: a.statusCode, body: a.body },
    { status: b.statusCode, body: b.body },
  ]
}

const KNOWN = [
  '',
  '?',
  '?title=',
  '?title=t1',
  '?title=..%2Fetc',
  '?title=.a',
  '?title=a-b_c.d',
  `?title=${'a'.repeat(128)}`,
  `?title=${'a'.repeat(129)}`,
  `?title=${'%F0%9F%98%80'.repeat(65)}`,
  '?title=a&title=b',
  '?title=t1&lat=200&lon=0',
  '?title=t1&lat=-90.0001&lon=0',
  '?title=t1&lat=1',
  '?title=t1&lon=1',
  '?lat=1&lon=1',
  '?title=t1&lat=north&lon=0',
  '?title=t1&lat=&lon=',
  '?title=t1&lat=%20&lon=%20',
  '?title=t1&lat=%201%20&lon=0x10',
  '?title=t1&lat=1e1&lon=-1e2',
  '?title=t1&lat=Infinity&lon=-Infinity',
  '?title=t1&lat=NaN&lon=1',
  '?title=t1&lat=1&lat=2&lon=1',
  '?title=t1&n=0',
  '?title=t1&n=1',
  '?title=t1&n=50',
  '?title=t1&n=51',
  '?title=t1&n=1.5',
  '?title=t1&n=3.0',
  '?title=t1&n=Infinity',
  '?title=t1&n=-Infinity',
  '?title=t1&n=x',
  '?title=t1&n=',
  '?title=t1&n=%20',
  '?title=t1&x=1&y=2',
  '?title=t1&n=&lat=1',
]

t.test('known queries: the same answer as the schema', async (t) => {
  const app = await referenceAndCandidate()
  t.teardown(() => app.close())
  for (const qs of KNOWN) {
    const [schema, hand] = await both(app, qs)
    t.same(hand, schema, qs || '(no query)')
  }
  // spot checks that the reference is what the route answered before
  t.same((await both(app, '?title=t1&lat=200&lon=0'))[1], { status: 400, body: JSON.stringify({ error: 'querystring/lat must be <= 90' }) })
  t.same((await both(app, ''))[1], { status: 400, body: JSON.stringify({ error: "querystring must have required property 'title'" }) })
})

const part = fc.constantFrom(
  ...'abcxyzAZ019-._~%/?=&:;,+ #'.split(''),
  '%20',
  '%2e',
  '%2F',
  '%00',
  '%ZZ',
  '%F0%9F%98%80',
  '%ED%A0%80',
  'é',
  '東',
  'Infinity',
  'NaN',
  '0x1f',
  '1e3',
  '-0',
  '.5',
)
const text = fc.oneof(
  fc.string({ unit: part, maxLength: 12 }),
  fc.double().map(String),
  fc.integer({ min: -100, max: 100 }).map(String),
  fc.string({ maxLength: 8 }),
)
// Near-valid values, so that a check deep in the order (the title's first character, n's range) is reached often.
const titleLike = fc
  .tuple(fc.oneof(part, fc.constantFrom('a', 'Z', '0')), fc.stringMatching(/^[A-Za-z0-9_.-]{0,10}$/), fc.oneof(fc.constant(''), part))
  .map((xs) => xs.join(''))
const numberLike = fc.oneof(fc.double({ min: -200, max: 200 }).map(String), fc.integer({ min: -3, max: 60 }).map(String), text)
const pairs = fc.tuple(
  fc.option(
    titleLike.map((v) => `title=${v}`),
    { freq: 6, nil: '' },
  ),
  fc.option(
    fc.tuple(numberLike, numberLike).map(([a, b]) => `lat=${a}&lon=${b}`),
    { freq: 2, nil: '' },
  ),
  fc.option(
    numberLike.map((v) => `n=${v}`),
    { freq: 2, nil: '' },
  ),
  fc.array(
    fc.oneof(
      fc.tuple(fc.oneof(fc.constantFrom('title', 'lat', 'lon', 'n'), text), text).map(([k, v]) => `${k}=${v}`),
      text,
    ),
    { maxLength: 3 },
  ),
)
const query = pairs.map(([title, latLon, n, more]) => [title, latLon, n, ...more].filter((p) => p !== '')).map((ps) => (ps.length ? `?${ps.join('&')}` : ''))

t.test('random and hostile query strings: the same answer as the schema', async (t) => {
  const app = await referenceAndCandidate()
  t.teardown(() => app.close())
  // The property throws with both answers, so a failure names the query string (shrunk) and what each side said.
  await fc.assert(
    fc.asyncProperty(query, async (qs) => {
      const [schema, hand] = await both(app, qs)
      if (JSON.stringify(schema) !== JSON.stringify(hand)) throw new Error(`${qs}: schema ${JSON.stringify(schema)}, hand ${JSON.stringify(hand)}`)
    }),
    { numRuns: RUNS, seed: SEED },
  )
  t.pass(`${RUNS} query strings answered alike`)
})

t.test('the steering server answers a bad query 400 with the schema-era message, over HTTP', async (t) => {
  const a = await startTestOca(t, 'a1', ['t1'])
  const app = buildSteeringServer({ cluster: clusterOf([ocaConfig('a1', a.url, 'ams')]), startHealthChecks: false, fillOnMiss: false })
  await app.listen({ host: '127.0.0.1', port: 0 })
  t.teardown(() => app.close())
  await app.steering.checker.pollAll()
  const url = listenUrl(app)
  for (const [qs, error] of [
    ['', "querystring must have required property 'title'"],
    ['?title=t1&lat=1', 'querystring must have property lon when property lat is present'],
    ['?title=t1&n=51', 'querystring/n must be <= 50'],
    ['?title=a&title=b', 'querystring/title must be string'],
  ] as const) {
    const res = await fetch(`${url}/v1/steer${qs}`)
    t.equal(res.status, 400, qs)
    t.equal(res.headers.get('access-control-allow-origin'), '*', `${qs}: readable by a player's page`)
    t.equal(res.headers.get('content-type'), 'application/json; charset=utf-8', qs)
    t.same(await res.json(), { error }, qs)
  }
  const ok = await fetch(`${url}/v1/steer?title=t1&n=1&x=ignored`)
  t.equal(ok.status, 200, 'unknown parameters are ignored, as the schema removed them')
  t.equal(((await ok.json()) as { candidates: unknown[] }).candidates.length, 1, 'n is read')
})
