import type { FastifyInstance } from 'fastify'
import { parseTitlePath } from '../lib/http/safe-path.js'
import { RedirectParams, SteerQuery, type TitleParams } from './schemas.js'
import { STEER_DEFAULT_N, type Steerer } from './steerer.js'

/**
 * `GET /v1/steer?title=…[&lat&lon][&n]`: the ranked OCA base URLs (n, default 3) for a title
 * (signed when the cluster signs), each with why it is where it is.
 * `GET /v1/redirect/<title>/<path>`: the 302 form for clients that only
 * follow redirects; the Location is the best OCA's URL of that file.
 */
const STEER_HEADERS = { 'cache-control': 'no-store', 'content-type': 'application/json; charset=utf-8' }

export async function steerRoutes(app: FastifyInstance, s: Steerer): Promise<void> {
  app.get<{ Querystring: SteerQuery }>('/v1/steer', { schema: { querystring: SteerQuery } }, async (req, reply) => {
    const { title, lat, lon, n = STEER_DEFAULT_N } = req.query
    const client = s.client(req, lat !== undefined && lon !== undefined ? { lat, lon } : undefined)
    const now = Date.now()
    const exp = s.expiry(now)
    const { json, count } = s.candidates(title, client, exp, n, now)
    const { address: a, location: c } = client
    const error = count ? '' : `,"error":"no healthy OCA can serve title ${title}"`
    // Assembled as text around the cached candidate list: the title matched TitleId and
    // the address and CIDR are canonical IP text, so only the site id needs escaping.
    const clientJson = `{"ip":${JSON.stringify(a.text)},"forwarded":${a.forwarded},"site":${c.site === undefined ? 'null' : JSON.stringify(c.site)},"how":"${c.how}","cidr":${c.cidr ? `"${c.cidr}"` : 'null'}}`
    return reply.code(count ? 200 : 503).headers(STEER_HEADERS).send(`{"title":"${title}","client":${clientJson},"expires":${exp ?? 'null'},"candidates":${json}${error}}`)
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
