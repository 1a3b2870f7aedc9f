import type { FastifyInstance, FastifyReply } from 'fastify'
import { parseTitlePath } from '../lib/http/safe-path.js'
import { RedirectParams, type TitleParams } from './schemas.js'
import { STEER_DEFAULT_N, type SteerAnswers } from './steer-answers.js'
import { checkSteerQuery } from './steer-query.js'
import type { Client, Steerer } from './steerer.js'

/**
 * `GET /v1/steer?title=…[&lat&lon][&n]`: the ranked OCA base URLs (n, default 3) for a title
 * (signed when the cluster signs), each with why it is where it is.
 * `GET /v1/redirect/<title>/<path>`: the 302 form for clients that only
 * follow redirects; the Location is the best OCA's URL of that file.
 * The common /v1/steer request is answered before Fastify routes it
 * (steer-fast-path.ts); this route answers every other one.
 */

export async function steerRoutes(app: FastifyInstance, s: Steerer, answers: SteerAnswers): Promise<void> {
  const send = (reply: FastifyReply, client: Client, status: number, tail: string): void => {
    reply.hijack()
    answers.write(reply.raw, client, status, tail)
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
    const { status, tail, held } = answers.answer(title, client, s.expiry(), n)
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
