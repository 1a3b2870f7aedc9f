import type { FastifyInstance, FastifyReply } from 'fastify'
import { CORS_HEADERS } from '../lib/http/cors.js'
import { parseTitlePath } from '../lib/http/safe-path.js'
import { DecisionCache } from './decision-cache.js'
import type { Ranked } from './policy.js'
import { RedirectParams, type TitleParams } from './schemas.js'
import { checkSteerQuery } from './steer-query.js'
import type { Client, Steerer } from './steerer.js'

/**
 * `GET /v1/steer?title=…[&lat&lon][&n]`: the ranked OCA base URLs (n, default 3) for a title
 * (signed when the cluster signs), each with why it is where it is.
 * `GET /v1/redirect/<title>/<path>`: the 302 form for clients that only
 * follow redirects; the Location is the best OCA's URL of that file.
 */

/** /v1/steer's default count: the best, and two fallbacks from at least one other site where the fleet has them. */
const STEER_DEFAULT_N = 3
const ALLOW_ORIGIN = CORS_HEADERS['access-control-allow-origin']

/** Everything of a /v1/steer answer but the client's own address: the same for every client of a location. */
interface Answer {
  /** the ranking the answer shows: still right after its tokens expire, so it is signed again, not ranked again */
  ranked: Ranked[]
  /** the token expiry the tail was written with */
  exp: number | undefined
  status: number
  /** some candidate holds the title (else it may not exist: see Steerer.refuseUnheld) */
  held: boolean
  /**
   * The JSON after `{"client":{"ip":…,"forwarded":…,"cidr":…,`, as one flat
   * ASCII string (anything else escaped): the whole body is then ASCII, so its
   * length is its Content-Length and Node writes it as Latin-1 with the
   * response head in one write (bytes cost two buffers and a gathered write
   * per request). Flat, because a string built by concatenation is a tree
   * walked again for every response.
   */
  tail: string
}

/** JSON text with every non-ASCII character escaped as `\uXXXX`: the same JSON, flat and one byte per character. */
const asciiJson = (json: string): string => json.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)

export async function steerRoutes(app: FastifyInstance, s: Steerer): Promise<void> {
  // Coverage-zone clients at their own site asking for the default count (nearly
  // everyone) are keyed by site id alone; any other client by all that places it.
  const zoneAnswers = new DecisionCache<Answer>()
  const otherAnswers = new DecisionCache<Answer>()

  const answer = (title: string, client: Client, exp: number | undefined, n: number): Answer => {
    const l = client.location
    const zone = l.how === 'coverage' && !client.pointGiven && n === STEER_DEFAULT_N
    const cache = zone ? zoneAnswers : otherAnswers
    const where = zone ? l.site! : `${l.how}\n${l.site}\n${n}${client.pointGiven ? `\n${l.point!.lat},${l.point!.lon}` : ''}`
    cache.refresh(s.registry.version)
    let a = cache.get(where, title)
    if (!a || a.exp !== exp) {
      // A miss ranks; an answer whose tokens expired (once a minute per key) keeps its ranking and is signed again.
      a = render(title, l, a ? a.ranked : s.rank(title, client, {}, n), exp)
      cache.set(where, title, a)
    }
    return a
  }

  const render = (title: string, l: Client['location'], ranked: Ranked[], exp: number | undefined): Answer => {
    const prefix = s.titlePrefix(title, exp)
    const candidates = JSON.stringify(
      ranked.map((r) => ({ id: r.id, site: r.site, url: r.url + prefix, distanceKm: r.distanceKm, holds: r.holds, reason: r.reason })),
    )
    const error = ranked.length ? '' : `,"error":${JSON.stringify(`no healthy OCA can serve title ${title}`)}`
    const site = l.site === undefined ? 'null' : JSON.stringify(l.site)
    return {
      ranked,
      exp,
      status: ranked.length ? 200 : 503,
      held: ranked.some((r) => r.holds),
      tail: asciiJson(`"site":${site},"how":"${l.how}"},"title":${JSON.stringify(title)},"expires":${exp ?? 'null'},"candidates":${candidates}${error}}`),
    }
  }

  /** Write the answer: the address and CIDR are canonical IP text (nothing to escape), so the whole body is ASCII. */
  const send = (reply: FastifyReply, client: Client, status: number, tail: string): void => {
    const { text, forwarded } = client.address
    const cidr = client.location.cidr
    const body = `{"client":{"ip":"${text}","forwarded":${forwarded ? 'true' : 'false'},"cidr":${cidr ? `"${cidr}"` : 'null'},${tail}`
    // The busiest route writes its response itself: Fastify's send pipeline (onSend
    // hooks, payload checks, measuring the string's byte length again) costs about
    // a tenth of a steering request. Hence the CORS header here too.
    // The headers as a literal: spreading a shared constant into a new object cost ~3 µs a request.
    reply.hijack()
    reply.raw.writeHead(status, {
      'cache-control': 'no-store',
      'content-type': 'application/json; charset=utf-8',
      'access-control-allow-origin': ALLOW_ORIGIN,
      'content-length': body.length,
    })
    // ASCII is Latin-1: written without UTF-8's per-character check.
    reply.raw.end(body, 'latin1')
  }

  /** A ranking no candidate of which holds the title: answered only once the title is known to exist (Steerer.refuseUnheld). */
  const sendUnheld = async (reply: FastifyReply, title: string, client: Client, status: number, tail: string): Promise<void> => {
    const refusal = await s.refuseUnheld(title, [])
    if (refusal) return void reply.code(refusal.status).header('cache-control', 'no-store').send(refusal.body)
    send(reply, client, status, tail)
  }

  // Not an async function: the common answer is written before the handler returns, and
  // returning undefined spares Fastify a promise, its then() and a microtask per request.
  // No schema: checkSteerQuery answers as SteerQuery did, without Ajv and Fastify's validation step per request.
  app.get('/v1/steer', (req, reply) => {
    const q = checkSteerQuery(req.query as Record<string, unknown>)
    if (!q.ok) return void reply.code(400).send({ error: q.error })
    const { title, lat, lon, n = STEER_DEFAULT_N } = q.value
    const client = s.client(req, lat !== undefined && lon !== undefined ? { lat, lon } : undefined)
    const { status, tail, held } = answer(title, client, s.expiry(), n)
    if (!held) return sendUnheld(reply, title, client, status, tail)
    send(reply, client, status, tail)
  })

  app.get<{ Params: TitleParams & { '*': string } }>('/v1/redirect/:title/*', { schema: { params: RedirectParams } }, async (req, reply) => {
    const { title } = req.params
    // Checked raw (before percent-decoding), as the OCA checks it: the path is copied into the Location.
    const raw = req.url.slice('/v1/redirect/'.length).split('?')[0]!
    const path = parseTitlePath(`titles/${raw}`)
    if (!path.ok || path.value.titleId !== title) return reply.code(400).send({ error: `bad path: ${path.ok ? 'title mismatch' : path.reason}` })
    const ranked = s.rank(title, s.client(req))
    const refusal = await s.refuseUnheld(title, ranked)
    if (refusal) return reply.code(refusal.status).header('cache-control', 'no-store').send(refusal.body)
    if (!ranked.length)
      return reply
        .code(503)
        .header('retry-after', String(Math.ceil(s.opts.health.intervalMs / 1000)))
        .send({ error: `no healthy OCA can serve title ${title}` })
    const best = ranked[0]!
    return reply
      .code(302)
      .header('cache-control', 'no-store')
      .header('location', s.base(best.url, title, s.expiry()) + path.value.path)
      .send({ location: best.id, reason: best.reason })
  })
}
