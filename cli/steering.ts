import { readCluster, refuseExampleSecretsBeyondLoopback } from '../lib/cluster.js'
import type { Command } from './command.js'
import { choiceOption, listOption, numberOption, requiredString, usageError } from './command.js'

/**
 * `oclab steering --config cluster.json`: run the steering service on the
 * host and port of the cluster file's steering URL (or --listen), polling
 * every OCA's /health. SIGTERM/SIGINT close it.
 */
export const command: Command = {
  name: 'steering',
  summary: 'Run the steering service: health-check the OCAs, rank them per client and title, HLS/DASH Content Steering.',
  usage: '--config <cluster.json> [options]',
  options: {
    config: { type: 'string', arg: '<file>', help: 'the cluster file' },
    listen: { type: 'string', arg: '<host:port>', help: "where to listen (default: the host and port of the cluster file's steering URL)" },
    'trust-proxy': { type: 'string', multiple: true, arg: '<cidr>', help: 'believe X-Forwarded-For from peers in this CIDR (repeatable; default: none)' },
    interval: { type: 'string', arg: '<ms>', default: '1000', help: 'health poll interval per OCA' },
    timeout: { type: 'string', arg: '<ms>', default: '1000', help: 'health poll timeout' },
    'down-after': { type: 'string', arg: '<n>', default: '2', help: 'consecutive bad polls before an OCA is down' },
    'up-after': { type: 'string', arg: '<n>', default: '2', help: 'consecutive good polls before a down OCA is up' },
    ttl: { type: 'string', arg: '<seconds>', default: '10', help: 'TTL of HLS/DASH steering manifests' },
    'log-level': { type: 'string', arg: '<level>', default: 'info', help: 'pino level' },
  },
  async run(values) {
    const configPath = requiredString(values, 'config')
    const cluster = await readCluster(configPath)
    const level = choiceOption(values, 'log-level', ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const) ?? 'info'
    const listen = typeof values.listen === 'string' ? values.listen : new URL(cluster.steering.url).host
    const m = /^(.*):(\d{1,5})$/.exec(listen)
    if (!m) throw usageError(`--listen must be host:port, got "${listen}"`)
    const host = m[1]!.replace(/^\[(.*)\]$/, '$1')
    refuseExampleSecretsBeyondLoopback(cluster, host, 'steering')
    const trustedProxies = listOption(values, 'trust-proxy')
    const { buildSteeringServer } = await import('../steering/index.js')
    const app = buildSteeringServer({
      cluster,
      trustedProxies,
      health: {
        intervalMs: numberOption(values, 'interval', { min: 10, integer: true }),
        timeoutMs: numberOption(values, 'timeout', { min: 10, integer: true }),
        downAfter: numberOption(values, 'down-after', { min: 1, integer: true }),
        upAfter: numberOption(values, 'up-after', { min: 1, integer: true }),
      },
      steeringTtlSeconds: numberOption(values, 'ttl', { min: 1, integer: true }),
      logger: { level },
    })
    let closed!: () => void
    const done = new Promise<void>((r) => (closed = r))
    const stop = (signal: string): void => {
      app.log.info({ signal }, 'closing')
      void app.close().then(closed)
    }
    process.once('SIGTERM', () => stop('SIGTERM'))
    process.once('SIGINT', () => stop('SIGINT'))
    await app.listen({ host, port: Number(m[2]) })
    app.log.info({ ocas: cluster.ocas.length, trustedProxies }, 'steering ready')
    await done
    return 0
  },
}
