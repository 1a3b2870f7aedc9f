import { resolve } from 'node:path'
import type { Queue } from 'bullmq'
import type { FastifyInstance } from 'fastify'
import type { Registry } from 'prom-client'
import type { Command } from './command.js'
import { numberOption, requiredString, stringOption } from './command.js'

/**
 * `oclab worker --queue redis://… --store <shared dir>`: one stateless
 * encoding worker. Start as many as you like on as many machines as mount the
 * same store; SIGTERM/SIGINT finish the jobs in hand and exit.
 */
export const command: Command = {
  name: 'worker',
  summary: 'Run an encoding worker: take chunk jobs from the Redis queue and encode them into the shared store.',
  usage: '--queue redis://host:port --store <shared-dir> [--concurrency N] [--metrics-port P]',
  options: {
    queue: { type: 'string', arg: '<redis-url>', help: "the queue's Redis, e.g. redis://10.0.0.5:6379" },
    store: { type: 'string', arg: '<dir>', help: 'the shared storage as mounted here (NFS/EFS), the same one `oclab encode --out` names' },
    concurrency: { type: 'string', arg: '<n>', default: '1', help: 'chunk jobs at once (each runs one single-threaded x264 per rung)' },
    'queue-name': { type: 'string', arg: '<name>', default: 'oclab-encode', help: 'BullMQ queue name' },
    'metrics-port': {
      type: 'string',
      arg: '<port>',
      help: 'serve Prometheus metrics (queue depth, job latency) on 127.0.0.1:<port>/metrics; 0 picks a free port',
    },
    'metrics-host': { type: 'string', arg: '<host>', default: '127.0.0.1', help: 'address for the metrics listener' },
    'lock-ms': {
      type: 'string',
      arg: '<ms>',
      default: '30000',
      help: "job lock lifetime: a dead worker's job is handed to another after about lock + stalled interval",
    },
    'stalled-ms': { type: 'string', arg: '<ms>', default: '30000', help: 'how often to look for jobs whose worker died' },
  },
  async run(values) {
    // Loaded here, not at the top: BullMQ, ioredis, prom-client and Fastify cost ~0.5 CPU-s, which `--help` need not pay.
    const { parseQueueUrl, clientConnection, outageLog, sharedDirStorage, startFleetWorker, fleetMetrics } = await import('../encoder/fleet/index.js')
    const target = parseQueueUrl(requiredString(values, 'queue'))
    const store = resolve(requiredString(values, 'store'))
    const queueName = stringOption(values, 'queue-name') ?? 'oclab-encode'
    const concurrency = numberOption(values, 'concurrency', { min: 1, max: 256, integer: true }) ?? 1
    const metricsPort = numberOption(values, 'metrics-port', { min: 0, max: 65535, integer: true })
    const lockMs = numberOption(values, 'lock-ms', { min: 200, integer: true }) ?? 30_000
    const stalledMs = numberOption(values, 'stalled-ms', { min: 100, integer: true }) ?? 30_000
    const log = (line: string) => process.stdout.write(`${new Date().toISOString()} ${line}\n`)

    let metrics: { app: FastifyInstance; queue: Queue; hooks: ReturnType<typeof import('../encoder/fleet/index.js')['fleetMetrics']> } | null = null
    if (metricsPort !== undefined) {
      const { Registry, collectDefaultMetrics } = await import('prom-client')
      const { Queue } = await import('bullmq')
      const registry = new Registry()
      collectDefaultMetrics({ register: registry })
      const queue = new Queue(queueName, { connection: clientConnection(target) })
      queue.on('error', outageLog(`metrics: Redis at ${target.display}`, log))
      metrics = { app: await buildWorkerMetricsServer(registry), queue, hooks: fleetMetrics(registry, queue) }
    }
    let fleet: Awaited<ReturnType<typeof startFleetWorker>>
    try {
      fleet = await startFleetWorker({
        target,
        storage: sharedDirStorage(store),
        concurrency,
        queueName,
        lockMs,
        stalledMs,
        log,
        ...(metrics ? { metrics: metrics.hooks } : {}),
      })
    } catch (err) {
      // the metrics queue reconnects forever: close it, or a worker that cannot start never exits
      await metrics?.queue.disconnect()
      throw err
    }
    if (metrics) {
      const address = await metrics.app.listen({ host: stringOption(values, 'metrics-host') ?? '127.0.0.1', port: metricsPort! })
      log(`metrics at ${address}/metrics`)
    }
    log(`worker ${fleet.id} ready: queue ${queueName} at ${target.display}, store ${store}, concurrency ${concurrency}`)
    await new Promise<void>((done) => {
      const stop = (signal: string) => {
        log(`${signal}: finishing jobs in hand`)
        done()
      }
      process.once('SIGTERM', () => stop('SIGTERM'))
      process.once('SIGINT', () => stop('SIGINT'))
    })
    await fleet.close()
    if (metrics) await Promise.all([metrics.app.close(), metrics.queue.close()])
    log('worker stopped')
    return 0
  },
}

/** GET /metrics in the Prometheus text format, nothing else. */
export async function buildWorkerMetricsServer(registry: Registry): Promise<FastifyInstance> {
  const { default: Fastify } = await import('fastify')
  const app = Fastify({ logger: false })
  app.get('/metrics', async (_req, reply) => {
    reply.type(registry.contentType)
    return registry.metrics()
  })
  return app
}
