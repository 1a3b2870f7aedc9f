import { randomBytes } from 'node:crypto'
import { type Static, Type } from '@sinclair/typebox'
import Fastify, { type FastifyInstance, type FastifyServerOptions, LogController } from 'fastify'
import type { ClusterConfig } from '../lib/cluster.js'
import { checkAdminToken } from '../lib/http/admin-token.js'
import type { CachePolicy } from '../lib/http/content-type.js'
import { failTitle, sendTitleObject, titleObjectRoutes } from '../lib/http/title-serving.js'
import { type Catalog, type OriginHealth, PrepositionBody, type PrepositionReport, type PrepositionRun } from './api.js'
import { catalogOf, readPlacement, writePlacement } from './catalog.js'
import { MasterStore } from './master-store.js'
import type { PopularityModel } from './popularity.js'
import { type PrepositionOptions, preposition } from './preposition.js'

/**
 * The origin: the master store served as the parent of last resort (the
 * OCA's URL layout, Range and ETag behaviour, from lib/http/title-serving),
 * the catalog, and pre-position runs on demand.
 *
 *   GET/HEAD /titles/<id>/<path>   (and the signed form when the cluster signs)
 *   GET  /catalog                  titles, sizes, ladders, where each is placed
 *   GET  /health                   { status, titles, requests, bytesServed, unhandledRejections }
 *   POST /admin/preposition        { dryRun?, force? } → 202 { id, status }; 409 while one runs
 *   GET  /admin/prepositions/:id   { id, status: running|done|failed, startedAt, report?, error? }
 *
 * The JSON answers' shapes are declared in api.ts, which client.ts checks them against.
 */
export interface OriginServerOptions {
  /** the master store root: `<storeDir>/titles/<id>/…` */
  storeDir: string
  /** the cluster: admin token, signing, the OCAs to pre-position onto */
  cluster: ClusterConfig
  /** the forecast for pre-position runs; built once the catalog is known (it may change between runs) */
  popularity: (titleIds: string[]) => Promise<PopularityModel>
  /** knobs of every pre-position run (concurrency, bandwidth cap, window, …) */
  preposition?: Omit<PrepositionOptions, 'cluster' | 'store' | 'model' | 'dryRun' | 'force'>
  /** Cache-Control ages; the OCA's defaults */
  cache?: CachePolicy
  /** fastify/pino logger; default off */
  logger?: FastifyServerOptions['logger']
}

type Run = PrepositionRun

const IdParams = Type.Object({ id: Type.String({ maxLength: 64 }) })

declare module 'fastify' {
  interface FastifyInstance {
    /** the origin's state, for the CLI and tests */
    origin: { store: MasterStore; bytesServed: number; requests: number; runs: Map<string, Run>; unhandledRejections: number }
  }
}

/** One pre-position run that also records where titles ended up, for the catalog. */
export async function prepositionAndRecord(o: PrepositionOptions): Promise<PrepositionReport> {
  const report = await preposition(o)
  if (!o.dryRun && !report.skipped) await writePlacement(o.store.dir, report.placement, await readPlacement(o.store.dir))
  return report
}

export function buildOriginServer(opts: OriginServerOptions): FastifyInstance {
  const app = Fastify({
    logger: opts.logger ?? false,
    logController: new LogController({ disableRequestLogging: true }),
    exposeHeadRoutes: false,
    routerOptions: { maxParamLength: 256 },
  })
  const store = new MasterStore(opts.storeDir)
  // unhandledRejections: counted by the process guard `oclab origin` installs (lib/process-guard.ts)
  const state = { store, bytesServed: 0, requests: 0, runs: new Map<string, Run>(), unhandledRejections: 0 }
  app.decorate('origin', state)
  const signing = opts.cluster.signing ? { secret: opts.cluster.signing.secret } : undefined

  app.register(async () => {
    await store.refresh()
  })

  app.register(async (scope) => {
    await titleObjectRoutes(scope, {
      signing,
      serve: async (req, reply, t) => {
        state.requests++
        // A title ingested while running: look again before answering 404.
        if (!store.get(t.titleId)) await store.refresh()
        const found = await store.object(t)
        if (!found) return failTitle(reply, 404, 'not found')
        const bytes = sendTitleObject(req, reply, found.object, { file: found.file }, { cache: opts.cache })
        reply.raw.once('finish', () => (state.bytesServed += bytes))
        return reply
      },
    })
  })

  app.get('/catalog', async (): Promise<Catalog> => {
    await store.refresh()
    return { titles: catalogOf(store.titles(), await readPlacement(opts.storeDir)), invalid: Object.fromEntries(store.invalid) }
  })

  app.get(
    '/health',
    async (): Promise<OriginHealth> => ({
      status: 'ok',
      titles: store.titles().length,
      requests: state.requests,
      bytesServed: state.bytesServed,
      unhandledRejections: state.unhandledRejections,
    }),
  )

  app.register(async (admin) => {
    admin.addHook('onRequest', async (req, reply) => {
      const check = checkAdminToken(req.headers.authorization, opts.cluster.adminToken)
      if (check === 'missing') return reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'admin token required' })
      if (check === 'wrong') return reply.code(403).send({ error: 'wrong admin token' })
    })

    admin.post<{ Body: PrepositionBody }>('/admin/preposition', { schema: { body: PrepositionBody } }, async (req, reply) => {
      const running = [...state.runs.values()].find((r) => r.status === 'running')
      if (running) return reply.code(409).send({ error: 'a pre-position run is already in progress', id: running.id })
      const run: Run = { id: `pp-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`, status: 'running', startedAt: new Date().toISOString() }
      state.runs.set(run.id, run)
      void (async () => {
        try {
          await store.refresh()
          const model = await opts.popularity(store.titles().map((t) => t.title.id))
          run.report = await prepositionAndRecord({
            ...opts.preposition,
            cluster: opts.cluster,
            store,
            model,
            dryRun: req.body?.dryRun,
            force: req.body?.force,
          })
          run.status = 'done'
        } catch (err) {
          run.status = 'failed'
          run.error = (err as Error).message
          req.log.error({ err }, 'pre-position run failed')
        }
      })()
      return reply.code(202).header('location', `/admin/prepositions/${run.id}`).send({ id: run.id, status: run.status })
    })

    admin.get<{ Params: Static<typeof IdParams> }>('/admin/prepositions/:id', { schema: { params: IdParams } }, async (req, reply) => {
      const run = state.runs.get(req.params.id)
      return run ?? reply.code(404).send({ error: `no pre-position run ${req.params.id}` })
    })
  })

  app.setNotFoundHandler((_req, reply) => reply.code(404).send({ error: 'not found' }))
  return app
}
