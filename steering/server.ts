import Fastify, { type FastifyInstance, LogController } from 'fastify'
import { isOclabError } from '../lib/errors.js'
import { CORS_HEADERS } from '../lib/http/cors.js'
import { sendOclabError } from '../lib/http/error-reply.js'
import { contentSteeringRoutes } from './content-steering-routes.js'
import { fleetRoutes } from './fleet-routes.js'
import { resolveSteeringOptions, type SteeringServerOptions } from './options.js'
import { playRoutes } from './play-routes.js'
import { SteerAnswers } from './steer-answers.js'
import { answerBeforeFastify, steerFastPath } from './steer-fast-path.js'
import { steerRoutes } from './steer-routes.js'
import { Steerer } from './steerer.js'

export type { SteeringServerOptions } from './options.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** registry, health checker and policy, for the CLI and tests */
    steering: Steerer
  }
}

/**
 * Build the steering service. Nothing listens until the caller calls
 * `listen()`; health polling starts when the app is ready and stops when it
 * closes.
 */
export function buildSteeringServer(options: SteeringServerOptions): FastifyInstance {
  const opts = resolveSteeringOptions(options)
  // No line per request (as the OCA and the origin): at tens of thousands of decisions a
  // second the log would cost more than the decisions. Errors and state changes are logged.
  const app = Fastify({
    logger: opts.logger ?? false,
    logController: new LogController({ disableRequestLogging: true }),
    exposeHeadRoutes: false,
    routerOptions: { maxParamLength: 256 },
  })
  const steerer = new Steerer(opts, app.log)
  app.decorate('steering', steerer)
  const answers = new SteerAnswers(steerer)
  answerBeforeFastify(app, steerFastPath(steerer, answers))
  // Players fetch manifests and steering manifests from pages on other origins;
  // nothing here needs its headers exposed beyond the CORS-safelisted ones.
  app.addHook('onSend', (req, reply, payload, done) => {
    if (req.url.startsWith('/v1/')) reply.header('access-control-allow-origin', CORS_HEADERS['access-control-allow-origin']!)
    done(null, payload)
  })
  app.setErrorHandler(async (err, _req, reply) => {
    // the status of each code is lib/errors.ts's table: a package manifest we cannot read (BAD_MANIFEST) is the upstream's fault, 502
    if (isOclabError(err)) return sendOclabError(reply, err)
    const status = (err as { statusCode?: number }).statusCode ?? 500
    if (status >= 500) app.log.error({ err }, 'request failed')
    return reply.code(status).send({ error: status >= 500 ? 'internal error' : (err as Error).message })
  })
  app.register(async (scope) => {
    await steerRoutes(scope, steerer, answers)
    await playRoutes(scope, steerer)
    await contentSteeringRoutes(scope, steerer)
    await fleetRoutes(scope, steerer)
  })
  app.addHook('onReady', async () => {
    if (opts.startHealthChecks) steerer.checker.start()
  })
  app.addHook('onClose', async () => {
    await steerer.close()
  })
  return app
}
