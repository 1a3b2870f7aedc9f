import type { FastifyInstance, FastifyReply } from 'fastify'
import { isOclabError } from '../lib/errors.js'
import { sendOclabError } from '../lib/http/error-reply.js'
import { rewriteMpd } from './dash-mpd.js'
import { type Pathway, parseMaster, rewriteMaster } from './hls-master.js'
import type { ManifestKind } from './manifest-source.js'
import { LocationQuery, TitleParams } from './schemas.js'
import type { Client, Steerer } from './steerer.js'

/**
 * `GET /v1/play/<title>/master.m3u8` and `GET /v1/play/<title>/manifest.mpd`:
 * the title's packaged manifest rewritten for this client, one Pathway /
 * serviceLocation per candidate OCA in ranked order, pointing the player at
 * the steering server for updates (see hls-master.ts, dash-mpd.ts).
 *
 * The steering URL carries the session: the title, the token expiry, the
 * Pathways written here (so later steering manifests can clone new OCAs onto
 * them) and the client's coordinates if it gave them.
 */
export function sessionQuery(title: string, exp: number | undefined, pathways: readonly string[], point?: { lat: number; lon: number }): string {
  const q = new URLSearchParams({ title })
  if (exp !== undefined) q.set('exp', String(exp))
  q.set('pathways', pathways.join(','))
  if (point) {
    q.set('lat', String(point.lat))
    q.set('lon', String(point.lon))
  }
  // Commas are legal in a query (RFC 3986 sub-delims); left bare the pathway list stays readable in logs.
  return q.toString().replace(/%2C/g, ',')
}

export async function playRoutes(app: FastifyInstance, s: Steerer): Promise<void> {
  const prepare = async (title: string, client: Client, kind: ManifestKind, reply: FastifyReply) => {
    const ranked = s.rank(title, client)
    const refusal = await s.refuseUnheld(title, ranked)
    if (refusal) {
      reply.code(refusal.status).header('cache-control', 'no-store').send(refusal.body)
      return undefined
    }
    if (!ranked.length) {
      reply
        .code(503)
        .header('retry-after', String(Math.ceil(s.opts.health.intervalMs / 1000)))
        .send({ error: `no healthy OCA can serve title ${title}` })
      return undefined
    }
    const exp = s.expiry()
    const pathways: Pathway[] = ranked.map((r) => ({ id: r.id, base: s.base(r.url, title, exp) }))
    const sources = [...ranked.filter((r) => r.holds).map((r) => s.base(r.url, title, exp)), s.originBase(title)]
    try {
      const text = await s.manifests.get(title, kind, sources)
      return { text, pathways, exp }
    } catch (err) {
      if (!isOclabError(err)) throw err
      // where it was fetched from stays in the log: the origin's address is not the player's business
      reply.log.warn({ title, kind, tried: err.details }, err.message)
      sendOclabError(reply, err)
      return undefined
    }
  }
  const pointOf = (q: LocationQuery) => (q.lat !== undefined && q.lon !== undefined ? { lat: q.lat, lon: q.lon } : undefined)

  app.get<{ Params: TitleParams; Querystring: LocationQuery }>(
    '/v1/play/:title/master.m3u8',
    { schema: { params: TitleParams, querystring: LocationQuery } },
    async (req, reply) => {
      const { title } = req.params
      const point = pointOf(req.query)
      const p = await prepare(title, s.client(req, point), 'master.m3u8', reply)
      if (!p) return reply
      const serverUri = `${s.opts.publicUrl}/v1/steering/hls?${sessionQuery(
        title,
        p.exp,
        p.pathways.map((x) => x.id),
        point,
      )}`
      const body = rewriteMaster(parseMaster(p.text), p.pathways, { serverUri, pathwayId: p.pathways[0]!.id })
      return reply.header('content-type', 'application/vnd.apple.mpegurl').header('cache-control', 'no-store').send(body)
    },
  )

  app.get<{ Params: TitleParams; Querystring: LocationQuery }>(
    '/v1/play/:title/manifest.mpd',
    { schema: { params: TitleParams, querystring: LocationQuery } },
    async (req, reply) => {
      const { title } = req.params
      const point = pointOf(req.query)
      const p = await prepare(title, s.client(req, point), 'manifest.mpd', reply)
      if (!p) return reply
      const serverUrl = `${s.opts.publicUrl}/v1/steering/dash?${sessionQuery(
        title,
        p.exp,
        p.pathways.map((x) => x.id),
        point,
      )}`
      const body = rewriteMpd(p.text, p.pathways, {
        serverUrl,
        defaultServiceLocation: p.pathways[0]!.id,
        queryBeforeStart: s.opts.queryBeforeStart,
        proxyServerUrl: s.opts.proxyServerUrl,
      })
      return reply.header('content-type', 'application/dash+xml').header('cache-control', 'no-store').send(body)
    },
  )
}
