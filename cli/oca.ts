import { dirname, isAbsolute, resolve } from 'node:path'
import { readCluster, refuseExampleSecretsBeyondLoopback } from '../lib/cluster.js'
// From their own modules, not oca/index.js: the index loads the server (Fastify, undici), which `--help` need not pay.
import { EVICTION_POLICIES, ocaOptionsFromCluster } from '../oca/config.js'
import type { Command } from './command.js'
import { choiceOption, numberOption, requiredString, stringOption, usageError } from './command.js'

/**
 * `oclab oca --config cluster.json --id <ocaId>`: run one cache node on the
 * host and port of its URL in the cluster file. SIGTERM (or POST
 * /admin/drain) drains: /health says draining for --drain-delay so steering
 * stops sending sessions, in-flight responses finish, then the process exits.
 */
export const command: Command = {
  name: 'oca',
  summary: 'Run an OCA cache node from the cluster file: serve titles, fill from its parent, report health.',
  usage: '--config <cluster.json> --id <ocaId> [options]',
  options: {
    config: { type: 'string', arg: '<file>', help: 'the cluster file' },
    id: { type: 'string', arg: '<ocaId>', help: 'which OCA of the cluster file this process is' },
    store: { type: 'string', arg: '<dir>', help: "disk store root (default: the OCA's storeDir in the cluster file, else store/<id> beside the cluster file)" },
    miss: { type: 'string', arg: '<fill|redirect|off>', default: 'fill', help: 'what a miss does: fetch from the parent, redirect to it, or 404' },
    eviction: { type: 'string', arg: `<${EVICTION_POLICIES.join('|')}>`, default: 'lru', help: 'disk eviction policy' },
    'in-flight-bytes': {
      type: 'string',
      arg: '<bytes>',
      default: String(64 * 1024 * 1024),
      help: 'memory answers in flight may hold; beyond it 503 + Retry-After (RSS guard = hot tier + this + 256 MiB)',
    },
    'drain-delay': { type: 'string', arg: '<ms>', default: '5000', help: 'how long /health says draining before the listener closes' },
    'log-level': { type: 'string', arg: '<level>', default: 'info', help: 'pino level (debug logs every response)' },
  },
  async run(values) {
    const configPath = requiredString(values, 'config')
    const id = requiredString(values, 'id')
    const miss = choiceOption(values, 'miss', ['fill', 'redirect', 'off'] as const) ?? 'fill'
    const eviction = choiceOption(values, 'eviction', EVICTION_POLICIES) ?? 'lru'
    const drainDelayMs = numberOption(values, 'drain-delay', { min: 0, integer: true }) ?? 5000
    const inFlightBytes = numberOption(values, 'in-flight-bytes', { min: 1, integer: true })
    const level = choiceOption(values, 'log-level', ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const) ?? 'info'
    const cluster = await readCluster(configPath)
    const base = ocaOptionsFromCluster(cluster, id)
    // Relative store paths in the cluster file are relative to the file, so the cluster works from any cwd.
    const storeArg = stringOption(values, 'store')
    const storeDir = storeArg ? resolve(storeArg) : isAbsolute(base.storeDir) ? base.storeDir : resolve(dirname(configPath), base.storeDir)
    const url = new URL(cluster.ocas.find((o) => o.id === id)!.url)
    if (url.protocol !== 'http:') throw usageError(`OCA ${id}: url ${url.href} must be http:// (put TLS in front)`)
    const port = Number(url.port || 80)
    refuseExampleSecretsBeyondLoopback(cluster, url.hostname, `OCA ${id}`)

    const { buildOcaServer } = await import('../oca/index.js')
    const { guardUnhandledRejections } = await import('../lib/process-guard.js')
    let exited!: () => void
    const done = new Promise<void>((r) => (exited = r))
    const app = buildOcaServer({
      ...base,
      storeDir,
      missMode: miss,
      evictionPolicy: eviction,
      drainDelayMs,
      logger: { level },
      limits: { inFlightBytes },
      onDrained: () => exited(),
    })
    const stop = (signal: string): void => {
      app.log.info({ signal }, 'signal received, draining')
      void app.drain()
    }
    process.once('SIGTERM', () => stop('SIGTERM'))
    process.once('SIGINT', () => stop('SIGINT'))
    // This process is the node: a bug's stray rejection is logged and counted (oca_unhandled_rejections_total), not fatal.
    guardUnhandledRejections(app.log, () => app.oca.metrics.unhandledRejections.inc())
    await app.listen({ host: url.hostname, port })
    app.log.info({ id, store: storeDir, parent: base.parentUrl, miss }, 'OCA ready')
    await done
    return 0
  },
}
