import { dirname, join, resolve, basename } from 'node:path'
import { readFile, rm } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import type { Command } from './command.js'
import { requiredString, stringOption, usageError } from './command.js'
import { readCluster, type ClusterConfig } from '../lib/cluster.js'
import { writeFileAtomic } from '../lib/atomic-file.js'
import { Supervisor, type ChildSpec } from '../lib/supervisor.js'

const bin = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'oclab.js')

/** Where a running cluster records itself, so `oclab cluster stop` in another terminal can find it. */
export const stateFileFor = (config: string): string => join(dirname(resolve(config)), `.oclab-cluster.${basename(config)}.json`)

export interface ClusterState {
  supervisorPid: number
  config: string
  children: Array<{ name: string; pid: number; url: string }>
}

/** One child per server: the origin, every OCA, the steering service. */
export function clusterChildren(cluster: ClusterConfig, config: string, originStore: string): ChildSpec[] {
  const node = (name: string, args: string[], url: string): ChildSpec => ({ name, command: process.execPath, args: [bin, ...args], healthUrl: `${url}/health` })
  return [
    node('origin', ['origin', '--config', config, '--store', originStore], cluster.origin.url),
    ...cluster.ocas.map((o) => node(o.id, ['oca', '--config', config, '--id', o.id], o.url)),
    node('steering', ['steering', '--config', config], cluster.steering.url),
  ]
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

async function stop(config: string): Promise<number> {
  const file = stateFileFor(config)
  let state: ClusterState
  try {
    state = JSON.parse(await readFile(file, 'utf8')) as ClusterState
  } catch {
    console.error(`no running cluster recorded for ${config} (${file})`)
    return 1
  }
  // the supervisor stops its children cleanly; if it is gone, stop them directly
  if (alive(state.supervisorPid)) process.kill(state.supervisorPid, 'SIGTERM')
  else for (const c of state.children) if (alive(c.pid)) process.kill(c.pid, 'SIGTERM')
  const deadline = Date.now() + 20_000
  while ([state.supervisorPid, ...state.children.map((c) => c.pid)].some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100))
  for (const c of state.children) if (alive(c.pid)) process.kill(c.pid, 'SIGKILL')
  await rm(file, { force: true })
  console.log(`stopped cluster ${config}`)
  return 0
}

export const command: Command = {
  name: 'cluster',
  summary: 'Start the origin, every OCA and the steering service of a cluster file as child processes on their URLs; `cluster stop` stops a running one.',
  usage: '[stop] --config <cluster.json> [--origin-store <dir>]',
  positionals: { min: 0, max: 1 },
  options: {
    config: { type: 'string', arg: '<file>', help: 'the cluster file' },
    'origin-store': { type: 'string', arg: '<dir>', help: "the origin's master store (default: origin.storeDir in the cluster file, else store/origin beside it)" },
  },
  async run(values, positionals) {
    const config = resolve(requiredString(values, 'config'))
    if (positionals[0] === 'stop') return stop(config)
    if (positionals.length) throw usageError(`cluster: unknown subcommand "${positionals[0]}" (only "stop")`)
    const cluster = await readCluster(config)
    const originStore = resolve(stringOption(values, 'origin-store') ?? resolve(dirname(config), cluster.origin.storeDir ?? 'store/origin'))
    const specs = clusterChildren(cluster, config, originStore)
    const sup = new Supervisor({ onUnexpectedExit: (name, code, signal) => console.error(`cluster: ${name} exited (${signal ?? `exit ${code}`})`) })
    let stopping: Promise<void> | null = null
    const shutdown = () => (stopping ??= sup.stop())
    process.once('SIGINT', shutdown)
    process.once('SIGTERM', shutdown)
    await sup.start(specs)
    const state: ClusterState = {
      supervisorPid: process.pid,
      config,
      children: specs.map((s) => ({ name: s.name, pid: sup.children.get(s.name)!.process.pid!, url: s.healthUrl.replace(/\/health$/, '') })),
    }
    await writeFileAtomic(stateFileFor(config), JSON.stringify(state, null, 2))
    console.log(`cluster up (${specs.length} processes); Ctrl-C or \`oclab cluster stop --config ${config}\` stops it`)
    for (const c of state.children) console.log(`  ${c.name.padEnd(10)} ${c.url}  pid ${c.pid}`)
    await Promise.all([...sup.children.values()].map((c) => c.exited))
    await shutdown()
    await rm(stateFileFor(config), { force: true })
    return 0
  },
}
