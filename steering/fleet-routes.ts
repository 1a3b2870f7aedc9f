import { type Static, Type } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'
import { OcaSchema } from '../lib/cluster.js'
import { isOclabError } from '../lib/errors.js'
import { checkAdminToken } from '../lib/http/admin-token.js'
import { sendOclabError } from '../lib/http/error-reply.js'
import type { Steerer } from './steerer.js'

/**
 * `GET /health`: the steering service itself is up; how many OCAs it can send clients to.
 * `GET /ocas`: every OCA steering knows, its state and why.
 * `POST /admin/ocas` (Bearer admin token): `{ "add": [OcaConfig…], "remove": ["id"…] }`;
 * added OCAs start "not polled yet" and are polled at once.
 */
const AdminOcasBody = Type.Object(
  { add: Type.Optional(Type.Array(OcaSchema, { maxItems: 1000 })), remove: Type.Optional(Type.Array(Type.String(), { maxItems: 1000 })) },
  { additionalProperties: false, minProperties: 1 },
)
type AdminOcasBody = Static<typeof AdminOcasBody>

export async function fleetRoutes(app: FastifyInstance, s: Steerer): Promise<void> {
  app.get('/health', async (_req, reply) => {
    const all = s.registry.list()
    const up = all.filter((e) => e.health.state === 'up').length
    return reply.header('cache-control', 'no-store').send({ status: 'ok', ocas: all.length, ocasUp: up })
  })

  app.get('/ocas', async (_req, reply) => {
    const ocas = s.registry.list().map(({ config: c, health: h }) => ({
      id: c.id,
      site: c.site,
      url: c.url,
      state: h.state,
      reason: h.reason,
      since: new Date(h.since).toISOString(),
      polls: h.polls,
      lastPollMs: h.lastPoll?.ms === undefined ? null : Math.round(h.lastPoll.ms * 10) / 10,
      reportedStatus: h.lastPoll?.status ?? null,
      loadBps: h.bytesPerSecond * 8,
      capacityBps: c.bandwidthBps ?? null,
      titles: [...h.titles].sort(),
    }))
    return reply.header('cache-control', 'no-store').send({ ocas })
  })

  app.post<{ Body: AdminOcasBody }>('/admin/ocas', { schema: { body: AdminOcasBody } }, async (req, reply) => {
    const auth = checkAdminToken(req.headers.authorization, s.opts.cluster.adminToken)
    if (auth !== 'ok') return reply.code(auth === 'missing' ? 401 : 403).send({ error: auth === 'missing' ? 'admin token required' : 'wrong admin token' })
    const removed = s.registry.remove(req.body.remove ?? [])
    try {
      s.registry.add(req.body.add ?? [])
    } catch (err) {
      if (isOclabError(err)) return sendOclabError(reply, err, { removed })
      throw err
    }
    s.checker.sync()
    return { added: (req.body.add ?? []).map((o) => o.id), removed, ocas: s.registry.list().map((e) => e.config.id) }
  })
}
