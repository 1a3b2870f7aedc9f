import type { Static } from '@sinclair/typebox'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { checkAdminToken } from '../lib/http/admin-token.js'
import { isSafeRelativePath } from '../lib/http/safe-path.js'
import { isSafeTitleId } from '../lib/title-package.js'
import { DelayBody, type FillProgress, FillRequestSchema, type HeldTitle, IdParams, type NodeStatus, PinBody } from './api.js'
import type { OcaNode } from './node.js'

/**
 * The control plane's endpoints (origin, operators, the load harness), all
 * behind the cluster admin token:
 *
 *   POST   /admin/fill              pre-position a title → 202 + progress
 *   GET    /admin/fills             every fill this process ran
 *   GET    /admin/fills/:id         one fill's progress and result
 *   GET    /admin/titles            what the node holds: per title, files with bytes and sha256
 *   DELETE /admin/titles/:id        purge a title (cancels its running fill)
 *   PUT    /admin/titles/:id/pin    { pinned } — keep out of eviction or release
 *   POST   /admin/delay             { ms } — fault injection: slow every title response
 *   POST   /admin/drain             stop taking sessions, finish in-flight, exit
 *
 * Request and answer shapes are in api.ts (shared with client.ts).
 */

export async function adminRoutes(app: FastifyInstance, node: OcaNode, drain: () => void): Promise<void> {
  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    const check = checkAdminToken(req.headers.authorization, node.opts.adminToken)
    if (check === 'missing') return reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'admin token required' })
    if (check === 'wrong') return reply.code(403).send({ error: 'wrong admin token' })
  })

  app.post<{ Body: Static<typeof FillRequestSchema> }>('/admin/fill', { schema: { body: FillRequestSchema } }, async (req, reply) => {
    const b = req.body
    if (!isSafeTitleId(b.titleId)) return reply.code(400).send({ error: `bad title id "${b.titleId}"` })
    const bad = b.files.find((f) => !isSafeRelativePath(f.path))
    if (bad) return reply.code(400).send({ error: `bad file path "${bad.path}"` })
    const parent = b.parent ?? node.opts.parentUrl
    if (!parent) return reply.code(400).send({ error: 'no parent given and this node has none configured' })
    if (node.draining) return reply.code(503).send({ error: 'draining' })
    const running = node.runningFill(b.titleId)
    if (running) return reply.code(409).send({ error: `a fill of ${b.titleId} is already running`, fill: running.progress })
    const job = node.startFill({ ...b, parent })
    return reply.code(202).header('location', `/admin/fills/${job.progress.id}`).send(job.progress)
  })

  app.get('/admin/fills', async (): Promise<{ fills: FillProgress[] }> => ({ fills: [...node.fills.values()].map((j) => j.progress) }))

  app.get<{ Params: Static<typeof IdParams> }>('/admin/fills/:id', { schema: { params: IdParams } }, async (req, reply) => {
    const job = node.fills.get(req.params.id)
    return job ? job.progress : reply.code(404).send({ error: `no fill ${req.params.id}` })
  })

  app.get('/admin/titles', async (): Promise<{ titles: HeldTitle[] }> => ({ titles: node.store.titles() }))

  app.delete<{ Params: Static<typeof IdParams> }>('/admin/titles/:id', { schema: { params: IdParams } }, async (req, reply) => {
    const id = req.params.id
    if (!isSafeTitleId(id)) return reply.code(400).send({ error: `bad title id "${id}"` })
    const running = node.runningFill(id)
    if (running) {
      running.cancel()
      await running.finished
    }
    const bytesFreed = await node.store.purge(id)
    req.log.info({ title: id, bytesFreed }, 'title purged')
    return { titleId: id, bytesFreed }
  })

  app.put<{ Params: Static<typeof IdParams>; Body: Static<typeof PinBody> }>(
    '/admin/titles/:id/pin',
    { schema: { params: IdParams, body: PinBody } },
    async (req, reply) => {
      if (!isSafeTitleId(req.params.id)) return reply.code(400).send({ error: `bad title id "${req.params.id}"` })
      await node.store.setPinned(req.params.id, req.body.pinned)
      return { titleId: req.params.id, pinned: req.body.pinned }
    },
  )

  app.post<{ Body: Static<typeof DelayBody> }>('/admin/delay', { schema: { body: DelayBody } }, async (req) => {
    node.delayMs = req.body.ms
    req.log.info({ delayMs: node.delayMs }, 'artificial delay set')
    return { delayMs: node.delayMs }
  })

  app.post('/admin/drain', async (_req, reply) => {
    drain()
    const answer: { status: NodeStatus } = { status: node.status() }
    return reply.code(202).send(answer)
  })
}
