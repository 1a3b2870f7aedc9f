import type { ServerResponse } from 'node:http'
import { CORS_HEADERS } from '../lib/http/cors.js'
import { DecisionCache } from './decision-cache.js'
import type { Ranked } from './policy.js'
import type { Client, Steerer } from './steerer.js'

/**
 * `/v1/steer`'s answers: ranked once per (location, title) and registry
 * version, kept as ready JSON text, and written to the socket. Shared by the
 * Fastify route (steer-routes.ts) and the path that answers the common request
 * before Fastify routes it (steer-fast-path.ts), so both answer from one cache
 * and write the same bytes.
 */

/** /v1/steer's default count: the best, and two fallbacks from at least one other site where the fleet has them. */
export const STEER_DEFAULT_N = 3
const ALLOW_ORIGIN = CORS_HEADERS['access-control-allow-origin']

/** Everything of a /v1/steer answer but the client's own address: the same for every client of a location. */
export interface Answer {
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

export class SteerAnswers {
  // Coverage-zone clients at their own site asking for the default count (nearly
  // everyone) are keyed by site id alone; any other client by all that places it.
  private readonly zoneAnswers = new DecisionCache<Answer>()
  private readonly otherAnswers = new DecisionCache<Answer>()

  constructor(private readonly s: Steerer) {}

  answer(title: string, client: Client, exp: number | undefined, n: number): Answer {
    const l = client.location
    const zone = l.how === 'coverage' && !client.pointGiven && n === STEER_DEFAULT_N
    const cache = zone ? this.zoneAnswers : this.otherAnswers
    const where = zone ? l.site! : `${l.how}\n${l.site}\n${n}${client.pointGiven ? `\n${l.point!.lat},${l.point!.lon}` : ''}`
    cache.refresh(this.s.registry.version)
    let a = cache.get(where, title)
    if (!a || a.exp !== exp) {
      // A miss ranks; an answer whose tokens expired (once a minute per key) keeps its ranking and is signed again.
      a = this.render(title, l, a ? a.ranked : this.s.rank(title, client, {}, n), exp)
      cache.set(where, title, a)
    }
    return a
  }

  private render(title: string, l: Client['location'], ranked: Ranked[], exp: number | undefined): Answer {
    const prefix = this.s.titlePrefix(title, exp)
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
  write(res: ServerResponse, client: Client, status: number, tail: string): void {
    const { text, forwarded } = client.address
    const cidr = client.location.cidr
    const body = `{"client":{"ip":"${text}","forwarded":${forwarded ? 'true' : 'false'},"cidr":${cidr ? `"${cidr}"` : 'null'},${tail}`
    // Written here rather than through Fastify's send pipeline (onSend hooks,
    // payload checks, measuring the string's byte length again: about a tenth of
    // a steering request). Hence the CORS header here too.
    // The headers as a literal: spreading a shared constant into a new object cost ~3 µs a request.
    res.writeHead(status, {
      'cache-control': 'no-store',
      'content-type': 'application/json; charset=utf-8',
      'access-control-allow-origin': ALLOW_ORIGIN,
      'content-length': body.length,
    })
    // ASCII is Latin-1: written without UTF-8's per-character check.
    res.end(body, 'latin1')
  }
}
