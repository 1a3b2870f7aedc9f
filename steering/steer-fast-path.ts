import type { IncomingMessage, ServerResponse } from 'node:http'
import type { FastifyInstance } from 'fastify'
import { STEER_DEFAULT_N, type SteerAnswers } from './steer-answers.js'
import { checkSteerQuery } from './steer-query.js'
import type { Steerer } from './steerer.js'

/**
 * The common `/v1/steer` request answered before Fastify routes it.
 *
 * Fastify's part of a request (routing, its Request and Reply objects, the
 * hook chain) is about as much CPU as the whole steering decision; the
 * busiest route of the service skips it for the requests that need none of
 * it: `GET /v1/steer?…` with a plain query (no percent-encoding, `+`, `#`,
 * empty or repeated parameters) that checkSteerQuery accepts and an answer
 * some candidate holds. Anything else (a bad query, a title no OCA holds,
 * another method or path, a server that is closing) goes to Fastify's route
 * unchanged, which answers it as it always did: the fast path never answers
 * differently, it only answers sooner (test/steering/steer-fast-path.test.ts
 * compares both paths byte for byte).
 */
export function steerFastPath(s: Steerer, answers: SteerAnswers): (req: IncomingMessage, res: ServerResponse) => boolean {
  return (req, res) => {
    const url = req.url!
    // `/v1/steer` then `?` (a bare `/v1/steer` has no title: Fastify answers its 400)
    if (req.method !== 'GET' || url.charCodeAt(9) !== 63 || !url.startsWith('/v1/steer')) return false
    const query = plainQuery(url, 10)
    if (!query) return false
    const q = checkSteerQuery(query)
    if (!q.ok) return false
    const { title, lat, lon, n = STEER_DEFAULT_N } = q.value
    const client = s.clientOf(req, lat !== undefined && lon !== undefined ? { lat, lon } : undefined)
    const { status, tail, held } = answers.answer(title, client, s.expiry(), n)
    // Whether an unheld title exists takes the catalog (asynchronous): the route's job.
    if (!held) return false
    answers.write(res, client, status, tail)
    return true
  }
}

interface PlainQuery {
  title?: string
  lat?: string
  lon?: string
  n?: string
}

/**
 * `/v1/steer`'s parameters from a query string that needs no decoding, read as
 * Fastify's parser (fast-querystring) reads it; undefined for any query string
 * where the two could differ, which then goes to Fastify. Other parameters are
 * ignored, as the schema's removeAdditional ignored them.
 */
export function plainQuery(url: string, from: number): PlainQuery | undefined {
  const q: PlainQuery = {}
  let i = from
  while (i < url.length) {
    let amp = url.indexOf('&', i)
    if (amp < 0) amp = url.length
    const eq = url.indexOf('=', i)
    if (eq < 0 || eq >= amp || eq === i) return undefined
    for (let k = i; k < amp; k++) {
      const c = url.charCodeAt(k)
      if (c === 37 || c === 43 || c === 35) return undefined // % + #
    }
    const key = url.slice(i, eq)
    if (key === 'title' || key === 'lat' || key === 'lon' || key === 'n') {
      if (q[key] !== undefined) return undefined
      q[key] = url.slice(eq + 1, amp)
    }
    i = amp + 1
  }
  // `a=1&` ends with an empty parameter: leave it to the parser that defines it.
  return url.charCodeAt(url.length - 1) === 38 ? undefined : q
}

/**
 * Put `handle` in front of Fastify's request listener: what it answers
 * (returning true) never reaches Fastify. Fastify owns the server's options
 * (timeouts, keep-alive); only its per-request work is skipped. Once the app
 * starts closing, every request goes to Fastify, which answers 503 while it drains.
 */
export function answerBeforeFastify(app: FastifyInstance, handle: (req: IncomingMessage, res: ServerResponse) => boolean): void {
  const server = app.server
  const listeners = server.listeners('request') as Array<(req: IncomingMessage, res: ServerResponse) => void>
  if (listeners.length !== 1) throw new Error(`expected Fastify's one request listener, found ${listeners.length}`)
  const fastify = listeners[0]!
  let closing = false
  app.addHook('preClose', async () => {
    closing = true
  })
  server.removeListener('request', fastify)
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    let handled = false
    if (!closing) {
      try {
        handled = handle(req, res)
      } catch (err) {
        // A bug here must not take the process down (a throw in a 'request' listener is uncaught): log it and let
        // Fastify answer, or cut the connection if this path had started an answer.
        app.log.error({ err }, 'steering fast path failed; answered by the route')
        if (res.headersSent) {
          res.destroy()
          return
        }
      }
    }
    if (!handled) fastify(req, res)
  })
}
