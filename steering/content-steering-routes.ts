import type { FastifyInstance, FastifyReply } from 'fastify'
import { parseMaster, type StableUris, stableUris } from './hls-master.js'
import { sessionQuery } from './play-routes.js'
import { DashSteeringQuery, HlsSteeringQuery } from './schemas.js'
import type { Steerer } from './steerer.js'
import { dashSteeringManifest, hlsSteeringManifest, type SteeringInput, type Target } from './steering-manifest.js'

/**
 * `GET /v1/steering/hls` (HLS Content Steering) and `GET /v1/steering/dash`
 * (DASH-IF DCSM): the Pathway priority for this client now.
 *
 * - 429 + Retry-After (seconds) above the admission rate: both specs tell the
 *   player to wait that long before reloading, keeping its current priority.
 * - 410 once the session's signed URLs have expired: both specs make 410 end
 *   steering for the session; the player keeps its current Pathway and a
 *   fresh session starts from a fresh manifest.
 * - The player's current Pathway (`_HLS_pathway`; for DASH the first of
 *   `_DASH_pathway`, dash.js's best by measured throughput) is kept first when
 *   it is as good as the best; its throughput (`_HLS_throughput`,
 *   `_DASH_throughput`) counts against an OCA's room when ranking.
 */
export async function contentSteeringRoutes(app: FastifyInstance, s: Steerer): Promise<void> {
  /** false when the request was answered (429/410). */
  const admit = (exp: number | undefined, reply: FastifyReply): boolean => {
    const now = Date.now()
    const wait = s.gate.admit(now)
    if (wait > 0) {
      reply
        .code(429)
        .header('retry-after', String(Math.max(1, Math.ceil(wait / 1000))))
        .header('cache-control', 'no-store')
        .send({ error: 'steering server busy, retry later' })
      return false
    }
    if (s.opts.endExpiredSessions && exp !== undefined && exp * 1000 < now) {
      reply.code(410).header('cache-control', 'no-store').send({ error: 'steering session expired; reload the manifest for a new one' })
      return false
    }
    return true
  }

  const input = (
    req: Parameters<Steerer['client']>[0],
    q: { title: string; exp?: number; pathways?: string; lat?: number; lon?: number },
    hints: { current?: string; clientBps?: number },
  ) => {
    const point = q.lat !== undefined && q.lon !== undefined ? { lat: q.lat, lon: q.lon } : undefined
    // Unlimited: every known Pathway that is still live must keep its place in the priority.
    const ranked = s.rank(q.title, s.client(req, point), hints, Number.POSITIVE_INFINITY)
    // A session without an expiry (hand-written URL) still gets URLs the OCAs accept.
    const exp = q.exp ?? s.expiry()
    const targetOf = (id: string, url: string, site: string): Target => ({ id, site, base: s.base(url, q.title, exp) })
    const rankedTargets = ranked.map((r) => targetOf(r.id, r.url, r.site))
    const knownIds = q.pathways ? q.pathways.split(',') : ranked.map((r) => r.id)
    const known = knownIds.flatMap((id) => {
      const e = s.registry.get(id)
      return e ? [targetOf(id, e.config.url.replace(/\/+$/, ''), e.config.site)] : [{ id, site: '', base: '' }]
    })
    const reloadUri = `${s.opts.publicUrl}${req.routeOptions.url}?${sessionQuery(q.title, q.exp, knownIds, point)}`
    const si: SteeringInput = { ranked: rankedTargets, known, ttlSeconds: s.opts.steeringTtlSeconds, reloadUri }
    return si
  }

  app.get<{ Querystring: HlsSteeringQuery }>('/v1/steering/hls', { schema: { querystring: HlsSteeringQuery } }, async (req, reply) => {
    const q = req.query
    if (!admit(q.exp, reply)) return reply
    const si = input(req, q, { current: q._HLS_pathway, clientBps: q._HLS_throughput })
    const knownIds = new Set(si.known.map((k) => k.id))
    // Clone URIs per variant are needed only when a new OCA of a known site listens on another port.
    let stable: StableUris | undefined
    if (si.ranked.some((r) => !knownIds.has(r.id) && si.known.some((k) => k.site === r.site))) {
      const sources = [...si.ranked.map((r) => r.base), s.originBase(q.title)]
      stable = await s.manifests.get(q.title, 'master.m3u8', sources).then(
        (t) => stableUris(parseMaster(t)),
        () => undefined,
      )
    }
    return reply.header('cache-control', 'no-store').send(hlsSteeringManifest(si, stable))
  })

  app.get<{ Querystring: DashSteeringQuery }>('/v1/steering/dash', { schema: { querystring: DashSteeringQuery } }, async (req, reply) => {
    const q = req.query
    if (!admit(q.exp, reply)) return reply
    // the two lists are parallel: an unmeasured pathway keeps its (empty) place
    const used = (q._DASH_pathway ?? '').replace(/"/g, '').split(',')
    const throughput = (q._DASH_throughput ?? '').split(',')
    const first = used.findIndex(Boolean)
    const bps = first === -1 ? '' : (throughput[first] ?? '')
    const si = input(req, q, { current: first === -1 ? undefined : used[first], clientBps: bps === '' ? undefined : Number(bps) })
    return reply.header('cache-control', 'no-store').send(dashSteeringManifest(si))
  })
}
