import type { FastifyInstance } from 'fastify'
import { parseTitlePath } from '../lib/http/safe-path.js'
import { RedirectParams, SteerQuery, type TitleParams } from './schemas.js'
import type { Steerer } from './steerer.js'

/**
 * `GET /v1/steer?title=…[&lat&lon][&n]`: the ranked OCA base URLs (n, default 3) for a title
 * (signed when the cluster signs), each with why it is where it is.
 * `GET /v1/redirect/<title>/<path>`: the 302 form for clients that only
 * follow redirects; the Location is the best OCA's URL of that file.
 */
/** Three candidates by default: the best, and two fallbacks from at least one other site where the fleet has them. */
const STEER_DEFAULT_N = 3

export async function steerRoutes(app: FastifyInstance, s: Steerer): Promise<void> {
  app.get<{ Querystring: SteerQuery }>('/v1/steer', { schema: { querystring: SteerQuery } }, async (req, reply) => {
    const { title, lat, lon, n = STEER_DEFAULT_N } = req.query
    const client = s.client(req, lat !== undefined && lon !== undefined ? { lat, lon } : undefined)
    const exp = s.expiry()
    const { json, count } = s.candidatesJson(title, client, exp, n)
    const c = client.location
    const clientJson = JSON.stringify({ ip: client.address.text, forwarded: client.address.forwarded, site: c.site ?? null, how: c.how, cidr: c.cidr ?? null })
    reply.code(count ? 200 : 503).header('cache-control', 'no-store').header('content-type', 'application/json; charset=utf-8')
    const error = count ? '' : `,"error":${JSON.stringify(`no healthy OCA can serve title ${title}`)}`
    // Assembled as text: the candidate list is cached already serialised (see Steerer.candidatesJson).
    return reply.send(`{"title":${JSON.stringify(title)},"client":${clientJson},"expires":${exp ?? 'null'},"candidates":${json}${error}}`)
  })

  app.get<{ Params: TitleParams & { '*': string } }>('/v1/redirect/:title/*', { schema: { params: RedirectParams } }, async (req, reply) => {
    const { title } = req.params
    // Checked raw (before percent-decoding), as the OCA checks it: the path is copied into the Location.
    const raw = req.url.slice('/v1/redirect/'.length).split('?')[0]!
    const path = parseTitlePath(`titles/${raw}`)
    if (!path.ok || path.value.titleId !== title) return reply.code(400).send({ error: `bad path: ${path.ok ? 'title mismatch' : path.reason}` })
    const ranked = s.rank(title, s.client(req))
    if (!ranked.length) return reply.code(503).header('retry-after', String(Math.ceil(s.opts.health.intervalMs / 1000))).send({ error: `no healthy OCA can serve title ${title}` })
    const best = ranked[0]!
    return reply
      .code(302)
      .header('cache-control', 'no-store')
      .header('location', s.base(best.url, title, s.expiry()) + path.value.path)
      .send({ location: best.id, reason: best.reason })
  })
}
