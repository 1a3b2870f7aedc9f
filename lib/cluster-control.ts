import { readFile, rm } from 'node:fs/promises'
import { basename, dirname, join, resolve } from 'node:path'
import { writeFileAtomic } from './atomic-file.js'
import type { ClusterConfig } from './cluster.js'
import { ErrorCodes, OclabError } from './errors.js'
import { repoRoot } from './repo-root.js'
import { type ChildSpec, type ChildStatus, probeHealth, type RestartPolicy, Supervisor } from './supervisor.js'

/**
 * `oclab cluster` as a library: the processes of a cluster file under a
 * Supervisor, a state file beside the cluster file that says who runs (kept
 * current on every restart, so `oclab load` signals today's PIDs and
 * `oclab cluster status` shows restarts), and the stop that leaves no process
 * and no state file behind. The CLI only parses arguments and prints.
 */
const bin = join(repoRoot, 'bin', 'oclab.js')

/** Where a running cluster records itself, so `oclab cluster stop` in another terminal can find it. */
export const stateFileFor = (config: string): string => join(dirname(resolve(config)), `.oclab-cluster.${basename(config)}.json`)

export interface ClusterChildState extends ChildStatus {
  url: string
}

export interface ClusterState {
  supervisorPid: number
  config: string
  /** every child answered /health 200 once together (start-up is over) */
  ready: boolean
  /** when the state was last written (a child changed state) */
  updated: string
  children: ClusterChildState[]
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

export const pidAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    // EPERM: it exists, owned by someone else
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** The recorded state of a running cluster, or null when none is recorded. */
export async function readClusterState(config: string): Promise<ClusterState | null> {
  try {
    return JSON.parse(await readFile(stateFileFor(config), 'utf8')) as ClusterState
  } catch {
    return null
  }
}

export interface RunClusterOptions {
  cluster: ClusterConfig
  /** the cluster file's path (children read it too) */
  config: string
  originStore: string
  /** Supervisor.readyTimeoutMs: how long to wait for every /health to answer 200 */
  readyTimeoutMs?: number
  restart?: Partial<RestartPolicy>
  stopGraceMs?: number
  /** prefixed child output and supervisor lines */
  log?: (line: string) => void
  /** once every child is healthy and the state file is written */
  onUp?: (state: ClusterState) => void
  /** aborting stops the cluster (SIGINT/SIGTERM in the CLI) */
  signal?: AbortSignal
}

/**
 * Start the cluster, record it, keep the record current, and return once it
 * is stopped through `signal` or every child has ended on its own (exited
 * cleanly or been given up on). The state file is removed on every way out.
 */
export async function runCluster(o: RunClusterOptions): Promise<ClusterState> {
  const specs = clusterChildren(o.cluster, o.config, o.originStore)
  const urls = new Map(specs.map((s) => [s.name, s.healthUrl.replace(/\/health$/, '')]))
  const file = stateFileFor(o.config)
  let ready = false
  let closed = false
  let writes: Promise<void> = Promise.resolve()
  const snapshot = (): ClusterState => ({
    supervisorPid: process.pid,
    config: o.config,
    ready,
    updated: new Date().toISOString(),
    children: sup.status().map((c) => ({ ...c, url: urls.get(c.name)! })),
  })
  // recorded from the first spawn (a `cluster stop` during start-up finds it);
  // writes are chained so the file ends holding the latest state, never an older one
  const record = () => {
    if (closed) return
    const state = snapshot()
    writes = writes
      .then(() => writeFileAtomic(file, JSON.stringify(state, null, 2)))
      .catch((err: Error) => o.log?.(`cluster: cannot write ${file}: ${err.message}`))
  }
  const sup = new Supervisor({
    ...(o.log ? { log: o.log } : {}),
    ...(o.readyTimeoutMs !== undefined ? { readyTimeoutMs: o.readyTimeoutMs } : {}),
    ...(o.stopGraceMs !== undefined ? { stopGraceMs: o.stopGraceMs } : {}),
    ...(o.restart ? { restart: o.restart } : {}),
    onChange: record,
  })
  const stopped = new Promise<void>((r) => (o.signal?.aborted ? r() : o.signal?.addEventListener('abort', () => r(), { once: true })))
  try {
    const starting = sup.start(specs)
    // a stop during start-up ends start() with a rejection nobody awaits
    starting.catch(() => {})
    const up = await Promise.race([starting.then(() => true), stopped.then(() => false)])
    if (!up) return snapshot()
    ready = true
    record()
    await writes
    o.onUp?.(snapshot())
    await Promise.race([sup.settled(), stopped])
    return snapshot()
  } finally {
    await sup.stop()
    closed = true
    await writes
    await rm(file, { force: true })
  }
}

export interface ClusterStatus {
  state: ClusterState
  supervisorAlive: boolean
  children: Array<ClusterChildState & { alive: boolean; health: string }>
}

/** What the state file says, checked against the live processes and their /health. */
export async function clusterStatus(config: string): Promise<ClusterStatus> {
  const state = await readClusterState(config)
  if (!state) throw new OclabError(ErrorCodes.NO_CLUSTER, `no running cluster recorded for ${config} (${stateFileFor(config)})`)
  const children = await Promise.all(
    state.children.map(async (c) => ({ ...c, alive: c.pid !== null && pidAlive(c.pid), health: await probeHealth(`${c.url}/health`) })),
  )
  return { state, supervisorAlive: pidAlive(state.supervisorPid), children }
}

/**
 * Stop a cluster another process runs: SIGTERM its supervisor (it stops its
 * children and removes the state file), or the children themselves when the
 * supervisor is gone; SIGKILL whatever is left after `graceMs`. Returns the
 * PIDs it had to SIGKILL. Nothing recorded is left running, nor the state file.
 */
export async function stopCluster(config: string, graceMs = 20_000): Promise<{ killed: number[] }> {
  const file = stateFileFor(config)
  const state = await readClusterState(config)
  if (!state) throw new OclabError(ErrorCodes.NO_CLUSTER, `no running cluster recorded for ${config} (${file})`)
  const pids = new Set(state.children.flatMap((c) => (c.pid !== null ? [c.pid] : [])))
  const supervised = pidAlive(state.supervisorPid)
  if (supervised) process.kill(state.supervisorPid, 'SIGTERM')
  else for (const pid of pids) if (pidAlive(pid)) process.kill(pid, 'SIGTERM')
  const deadline = Date.now() + graceMs
  for (;;) {
    // a child restarted just before the SIGTERM is in the newer record
    const now = await readClusterState(config)
    for (const c of now?.children ?? []) if (c.pid !== null) pids.add(c.pid)
    if (![state.supervisorPid, ...pids].some(pidAlive) || Date.now() >= deadline) break
    await new Promise((r) => setTimeout(r, 100))
  }
  const killed = [...pids, state.supervisorPid].filter(pidAlive)
  for (const pid of killed) process.kill(pid, 'SIGKILL')
  await rm(file, { force: true })
  return { killed }
}
