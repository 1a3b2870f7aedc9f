import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import type { ClusterConfig } from '../lib/cluster.js'
import { ErrorCodes, isOclabError } from '../lib/errors.js'
import { sendOclabError } from '../lib/http/error-reply.js'
import { makeValidator } from '../lib/validate.js'
import { type ClusterView, fetchClusterView } from './cluster-view.js'
import { LoadPostSchema, LoadRun } from './load-samples.js'
import { consolePage } from './page.js'

/**
 * The console: one page a person can watch while the cluster runs.
 *
 *   GET  /                 the page (self-contained; hls.js from /lib/)
 *   GET  /lib/hls.min.js   hls.js from node_modules (no CDN: the lab has no route out)
 *   GET  /api/cluster      OCAs by region and site with steering's verdicts, the origin's titles (cluster-view.ts)
 *   POST /api/load         one load-progress sample, or the final report (load-samples.ts); 400 on anything else
 *   GET  /api/load         the current run's samples and report
 */
export interface ConsoleServerOptions {
  cluster: ClusterConfig
  /** deadline for each call to steering and the origin; default 800 ms (the page refreshes every second) */
  upstreamTimeoutMs?: number
  /** how long one cluster view answers every page that asks; default 500 ms */
  clusterCacheMs?: number
  /** load samples kept (one a second: ten minutes); default 600 */
  keepSamples?: number
  /** how often the page polls /api/cluster and /api/load; default 1000 ms */
  refreshMs?: number
  logger?: FastifyServerOptions['logger']
}

export const CONSOLE_DEFAULTS = { upstreamTimeoutMs: 800, clusterCacheMs: 500, keepSamples: 600, refreshMs: 1000 }

const checkLoadPost = makeValidator(LoadPostSchema, ErrorCodes.BAD_LOAD_SAMPLE, 'load sample ({t, started, active, …} or {done: true, report})')

// hls.js's package entry is dist/hls.js; the minified build sits beside it.
const hlsMinPath = join(dirname(createRequire(import.meta.url).resolve('hls.js')), 'hls.min.js')

export function buildConsoleServer(opts: ConsoleServerOptions): FastifyInstance {
  const d = CONSOLE_DEFAULTS
  const o = {
    cluster: opts.cluster,
    upstreamTimeoutMs: opts.upstreamTimeoutMs ?? d.upstreamTimeoutMs,
    clusterCacheMs: opts.clusterCacheMs ?? d.clusterCacheMs,
    keepSamples: opts.keepSamples ?? d.keepSamples,
    refreshMs: opts.refreshMs ?? d.refreshMs,
  }
  // a final report carries the timeline and QoE distributions per site and algorithm: more than Fastify's 1 MiB default is possible
  const app = Fastify({ logger: opts.logger ?? false, bodyLimit: 32 * 1024 * 1024 })
  const load = new LoadRun(o.keepSamples)
  let page: Promise<string> | undefined
  let hlsJs: Promise<Buffer> | undefined

  // Several open pages share one view; concurrent asks share one fetch.
  let cached: { at: number; view: Promise<ClusterView> } | undefined
  const clusterView = (): Promise<ClusterView> => {
    const now = Date.now()
    if (!cached || now - cached.at > o.clusterCacheMs) cached = { at: now, view: fetchClusterView(o.cluster, o.upstreamTimeoutMs) }
    return cached.view
  }

  app.get('/', async (_req, reply) => {
    page ??= consolePage({ refreshMs: o.refreshMs })
    return reply
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-store')
      .send(await page)
  })

  app.get('/lib/hls.min.js', async (_req, reply) => {
    hlsJs ??= readFile(hlsMinPath)
    return reply
      .type('application/javascript; charset=utf-8')
      .header('cache-control', 'public, max-age=3600')
      .send(await hlsJs)
  })

  app.get('/api/cluster', async (_req, reply) => reply.header('cache-control', 'no-store').send(await clusterView()))

  app.post('/api/load', async (req, reply) => {
    try {
      load.add(checkLoadPost(req.body, 'POST /api/load body'))
    } catch (err) {
      if (isOclabError(err)) return sendOclabError(reply, err)
      throw err
    }
    return reply.code(204).send()
  })

  app.get('/api/load', async (_req, reply) => reply.header('cache-control', 'no-store').send(load.view()))

  return app
}
