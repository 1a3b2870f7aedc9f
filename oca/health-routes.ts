import type { FastifyInstance } from 'fastify'
import type { OcaHealth } from './api.js'
import type { OcaNode } from './node.js'

/**
 * `GET /health` — read by the steering service to learn load, state and
 * titles. A stable shape (add fields, never rename):
 *
 * {
 *   "id": "a1", "site": "a",
 *   "status": "ok" | "draining" | "overloaded",
 *   "uptimeSeconds": 12.3,
 *   "requests": { "inFlight": 3, "total": 1200 },
 *   "bytesServedPerSecond": 52428800,          // mean over the last 10 s
 *   "disk":   { "usedBytes": …, "capacityBytes": …, "objects": … },
 *   "memory": { "usedBytes": …, "capacityBytes": …, "objects": … },
 *   "fills":  { "prefillRunning": 0, "missInFlight": 1 },
 *   "overload": { "eventLoopDelayMs": 1.2, "rssBytes": …, "heapUsedBytes": …, "reasons": [] },
 *   "titles": ["t1", "t2"]
 * }
 *
 * HTTP 200 when status is ok, 503 otherwise (same body), so a plain HTTP
 * health check also takes a draining or overloaded node out of rotation.
 *
 * `GET /metrics` — Prometheus text format (oca/metrics.ts).
 *
 * The shape is OcaHealthSchema in api.ts, which client.ts checks answers against.
 */
export type { OcaHealth } from './api.js'

export function healthOf(node: OcaNode): OcaHealth {
  const disk = node.store.usage()
  const o = node.overload.state
  return {
    id: node.opts.id,
    site: node.opts.site,
    status: node.status(),
    uptimeSeconds: (Date.now() - node.startedAt) / 1000,
    requests: { inFlight: node.inFlight, total: node.requestsTotal },
    bytesServedPerSecond: node.served.perSecond(Date.now()),
    disk: { usedBytes: disk.usedBytes, capacityBytes: disk.capacityBytes, objects: disk.objects },
    memory: node.hot.usage(),
    fills: { prefillRunning: [...node.fills.values()].filter((j) => j.progress.status === 'running').length, missInFlight: node.filler.active },
    overload: { eventLoopDelayMs: o.eventLoopDelayMs, rssBytes: o.rssBytes, heapUsedBytes: o.heapUsedBytes, reasons: o.reasons },
    titles: node.store.titleIds(),
  }
}

export async function healthRoutes(app: FastifyInstance, node: OcaNode): Promise<void> {
  app.get('/health', async (_req, reply) => {
    const h = healthOf(node)
    return reply
      .code(h.status === 'ok' ? 200 : 503)
      .header('cache-control', 'no-store')
      .send(h)
  })
  app.get('/metrics', async (_req, reply) => {
    return reply.header('content-type', node.metrics.registry.contentType).send(await node.metrics.registry.metrics())
  })
}
