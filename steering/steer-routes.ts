import type { FastifyInstance } from 'fastify'
import { parseTitlePath } from '../lib/http/safe-path.js'
import { RedirectParams, SteerQuery, type TitleParams } from './schemas.js'
import type { Steerer } from './steerer.js'

/**
 * `GET /v1/steer?title=…[&lat&lon]`: the ranked OCA base URLs for a title
 * (signed when the cluster signs), each with why it is where it is.
 * `GET /v1/redirect/<title>/<path>`: the 302 form for clients that only
 * follow redirects; the Location is the best OCA's URL of that file.
 */
export async function steerRoutes(app: FastifyInstance, s: Steerer): Promise<void> {
  app.get<{ Querystring: SteerQuery }>('/v1/steer', { schema: { querystring: SteerQuery } }, async (req, reply) => {
    const { title, lat, lon } = req.query
    const client = s.client(req, lat !== undefined && lon !== undefined ? { lat, lon } : undefined)
    const ranked = s.rank(title, client)
    const exp = s.expiry()
    reply.header('cache-control', 'no-store')
    const body = {
      title,
      client: { ip: client.address.text, forwarded: client.address.forwarded, site: client.location.site ?? null, how: client.location.how, cidr: client.location.cidr ?? null },
      expires: exp ?? null,
      candidates: ranked.map((r) => ({ id: r.id, site: r.site, url: s.base(r.url, title, exp), distanceKm: r.distanceKm, holds: r.holds, reason: r.reason })),
    }
    if (!ranked.length) return reply.code(503).send({ ...body, error: `no healthy OCA can serve title ${title}` })
    return body
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
