import { dirname, resolve } from 'node:path'
import { readCluster } from '../lib/cluster.js'
import { clusterStatus, runCluster, stopCluster } from '../lib/cluster-control.js'
import { RESTART_DEFAULTS } from '../lib/supervisor.js'
import type { Command } from './command.js'
import { numberOption, requiredString, stringOption } from './command.js'

const configOption = { config: { type: 'string', arg: '<file>', help: 'the cluster file' } } as const

const stop: Command = {
  name: 'cluster stop',
  summary: 'Stop the cluster recorded for a cluster file (its supervisor stops the children); SIGKILL what is left after the grace period.',
  usage: '--config <cluster.json> [--grace S]',
  options: { ...configOption, grace: { type: 'string', arg: '<s>', default: '20', help: 'seconds to wait before SIGKILL' } },
  async run(values) {
    const config = resolve(requiredString(values, 'config'))
    const { killed } = await stopCluster(config, (numberOption(values, 'grace', { min: 0 }) ?? 20) * 1000)
    console.log(`stopped cluster ${config}${killed.length ? ` (SIGKILLed ${killed.join(', ')} after the grace period)` : ''}`)
    return 0
  },
}

const status: Command = {
  name: 'cluster status',
  summary:
    'Each process of a running cluster: its state, PID, restarts, last exit and what /health answers now. Exit 1 unless every one is running and healthy.',
  usage: '--config <cluster.json> [--json]',
  options: { ...configOption, json: { type: 'boolean', help: 'print the status as JSON' } },
  async run(values) {
    const st = await clusterStatus(resolve(requiredString(values, 'config')))
    const allWell = st.supervisorAlive && st.children.every((c) => c.state === 'running' && c.alive && c.health === 'ok')
    if (values.json === true) {
      console.log(JSON.stringify(st, null, 2))
      return allWell ? 0 : 1
    }
    console.log(
      `supervisor pid ${st.state.supervisorPid} ${st.supervisorAlive ? 'alive' : 'GONE'}; ${st.state.ready ? 'ready' : 'starting'}; updated ${st.state.updated}`,
    )
    for (const c of st.children) {
      const exit = c.lastExit ? `, last exit ${c.lastExit.signal ?? `code ${c.lastExit.code}`} at ${c.lastExit.at}` : ''
      console.log(
        `  ${c.name.padEnd(10)} ${c.state.padEnd(8)} pid ${String(c.pid ?? '-').padEnd(7)} restarts ${c.restarts}  health ${c.health}${exit}${c.reason ? ` (${c.reason})` : ''}`,
      )
    }
    return allWell ? 0 : 1
  },
}

export const command: Command = {
  name: 'cluster',
  summary:
    'Start the origin, every OCA and the steering service of a cluster file as child processes on their URLs; "up" once every /health answers 200. ' +
    `A child that dies (non-zero exit or a kill) is restarted after ${RESTART_DEFAULTS.restartDelayMs} ms, doubling to ${RESTART_DEFAULTS.restartMaxDelayMs / 1000} s, ` +
    `and given up on after ${RESTART_DEFAULTS.startLimitBurst} starts within ${RESTART_DEFAULTS.startLimitIntervalMs / 1000} s (systemd Restart=on-failure).`,
  usage: '--config <cluster.json> [--origin-store <dir>] [--ready-timeout S] [--no-restart]',
  options: {
    ...configOption,
    'origin-store': {
      type: 'string',
      arg: '<dir>',
      help: "the origin's master store (default: origin.storeDir in the cluster file, else store/origin beside it)",
    },
    'ready-timeout': {
      type: 'string',
      arg: '<s>',
      default: '60',
      help: 'seconds to wait for every /health to answer 200 before giving up (a busy machine needs more)',
    },
    'no-restart': { type: 'boolean', help: 'leave a child that dies dead (Restart=no)' },
  },
  subcommands: { stop, status },
  async run(values) {
    const config = resolve(requiredString(values, 'config'))
    const cluster = await readCluster(config)
    const originStore = resolve(stringOption(values, 'origin-store') ?? resolve(dirname(config), cluster.origin.storeDir ?? 'store/origin'))
    const readyTimeoutMs = (numberOption(values, 'ready-timeout', { min: 0.1, max: 3600 }) ?? 60) * 1000
    const ac = new AbortController()
    const shutdown = () => ac.abort()
    process.once('SIGINT', shutdown)
    process.once('SIGTERM', shutdown)
    try {
      const end = await runCluster({
        cluster,
        config,
        originStore,
        readyTimeoutMs,
        signal: ac.signal,
        ...(values['no-restart'] === true ? { restart: { restart: 'no' } } : {}),
        log: (line) => console.log(line),
        onUp: (state) => {
          console.log(`cluster up (${state.children.length} processes, every /health 200); Ctrl-C or \`oclab cluster stop --config ${config}\` stops it`)
          for (const c of state.children) console.log(`  ${c.name.padEnd(10)} ${c.url}  pid ${c.pid}`)
        },
      })
      const failed = end.children.filter((c) => c.state === 'failed')
      if (!ac.signal.aborted && failed.length) {
        console.error(`cluster: every process has ended; given up on ${failed.map((c) => `${c.name} (${c.reason})`).join(', ')}`)
        return 1
      }
      return 0
    } finally {
      process.off('SIGINT', shutdown)
      process.off('SIGTERM', shutdown)
    }
  },
}
