import Fastify, { type FastifyInstance, LogController } from 'fastify'
import { httpStatusOf, isOclabError } from '../lib/errors.js'
import { sendOclabError } from '../lib/http/error-reply.js'
import { adminRoutes } from './admin-routes.js'
import { ParentError } from './download.js'
import { healthRoutes } from './health-routes.js'
import { OcaNode } from './node.js'
import { type OcaServerOptions, resolveOptions } from './options.js'
import { titleRoutes } from './title-routes.js'

export type { OcaServerOptions } from './options.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** the node's state, for the CLI and tests */
    oca: OcaNode
    /** stop taking sessions, finish in-flight responses, close; resolves once closed */
    drain: () => Promise<void>
  }
}

/**
 * Build one OCA cache node. Nothing listens until the caller calls
 * `listen()`; the disk store is indexed during `ready()`.
 */
export function buildOcaServer(options: OcaServerOptions): FastifyInstance {
  const opts = resolveOptions(options)
  const app = Fastify({
    logger: opts.logger ?? false,
    // One line per segment at info level would drown the log under load;
    // completions are logged at debug with the request id instead.
    logController: new LogController({ disableRequestLogging: true }),
    requestIdHeader: 'x-request-id',
    bodyLimit: opts.limits.bodyLimitBytes,
    requestTimeout: opts.limits.requestTimeoutMs,
    http: { maxHeaderSize: opts.limits.maxHeaderBytes },
    exposeHeadRoutes: false,
    routerOptions: { maxParamLength: 256 },
  })
  const node = new OcaNode(opts, app.log)
  app.decorate('oca', node)
  app.decorateRequest('served', null)

  let drained: Promise<void> | undefined
  const drain = (): Promise<void> => {
    if (drained) return drained
    node.draining = true
    app.log.info({ delayMs: opts.drainDelayMs, inFlight: node.inFlight }, 'draining')
    drained = (async () => {
      if (opts.drainDelayMs > 0) await new Promise((r) => setTimeout(r, opts.drainDelayMs))
      // close() stops accepting connections, answers new requests on kept-alive
      // sockets with 503, closes idle ones, and resolves once in-flight responses end.
      await app.close()
      app.log.info('drained')
      opts.onDrained?.()
    })()
    return drained
  }
  app.decorate('drain', drain)

  app.addHook('onRequest', async (req, reply) => {
    node.inFlight++
    node.requestsTotal++
    reply.raw.once('close', () => node.inFlight--)
    reply.header('x-request-id', req.id)
  })
  app.addHook('onResponse', async (req, reply) => {
    const s = req.served
    if (!s) return
    node.metrics.requests.inc({ status: String(reply.statusCode), tier: s.tier })
    // A cut stream (client gone, parent failed mid-body) did not deliver its bytes.
    if (reply.raw.writableFinished && s.bytes > 0) {
      node.metrics.bytesServed.inc({ tier: s.tier }, s.bytes)
      node.served.add(s.bytes, Date.now())
    }
    req.log.debug({ status: reply.statusCode, tier: s.tier, bytes: s.bytes, ms: reply.elapsedTime }, 'served')
  })

  app.setErrorHandler((err: Error & { statusCode?: number; validation?: unknown }, req, reply) => {
    // A body stream can fail after a handler set an object's headers but
    // before they were sent (a fill on miss whose parent broke at once): drop
    // the object's headers, or the JSON error would go out under them.
    for (const h of ['content-length', 'content-type', 'etag', 'repr-digest', 'last-modified', 'accept-ranges', 'content-range']) reply.removeHeader(h)
    if (req.served) req.served.bytes = 0
    if (err instanceof ParentError) {
      req.log.warn({ err: err.message }, 'fill from parent failed before the answer started')
      return reply
        .code(err.status)
        .header('cache-control', 'no-store')
        .send({ error: err.status === 404 ? 'not found' : 'parent fetch failed' })
    }
    if (err.validation) return reply.code(400).send({ error: err.message })
    // the status of each code is lib/errors.ts's table (a full store is 507 Insufficient Storage)
    if (isOclabError(err)) {
      if (httpStatusOf(err.code) === 500) req.log.error({ err }, 'request failed')
      return sendOclabError(reply, err)
    }
    const status = typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500
    if (status === 500) req.log.error({ err }, 'request failed')
    return reply.code(status).send({ error: status === 500 ? 'internal error' : err.message })
  })
  app.setNotFoundHandler((_req, reply) => reply.code(404).send({ error: 'not found' }))

  app.register(async () => {
    await node.store.open()
  })
  app.register(async (scope) => titleRoutes(scope, node))
  app.register(async (scope) => healthRoutes(scope, node))
  app.register(async (scope) => adminRoutes(scope, node, () => void drain()))
  app.addHook('onClose', async () => {
    await node.close()
  })
  return app
}
