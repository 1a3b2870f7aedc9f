import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { request } from 'undici'

/**
 * Runs a set of long-lived child processes (the cluster's servers): starts
 * them, forwards their output line by line with a name prefix, waits until
 * each answers its health URL, and stops them all (SIGTERM, then SIGKILL after
 * a grace period) so no orphan outlives the supervisor.
 */
export interface ChildSpec {
  name: string
  command: string
  args: string[]
  /** GET this until it answers 2xx: the child is up. */
  healthUrl: string
  env?: NodeJS.ProcessEnv
}

export interface SupervisorOptions {
  /** Where prefixed child output goes. Default: process.stdout. */
  log?: (line: string) => void
  /** How long start() waits for every child to be healthy. Default 30 s. */
  startTimeoutMs?: number
  /** SIGTERM → SIGKILL grace on stop. Default 10 s (OCAs drain first). */
  stopGraceMs?: number
  /** Called when a child exits while the supervisor was not stopping it. */
  onUnexpectedExit?: (name: string, code: number | null, signal: NodeJS.Signals | null) => void
}

export interface RunningChild {
  spec: ChildSpec
  process: ChildProcess
  exited: Promise<void>
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function healthy(url: string): Promise<boolean> {
  try {
    const res = await request(url, { headersTimeout: 1000, bodyTimeout: 1000 })
    await res.body.dump()
    return res.statusCode >= 200 && res.statusCode < 300
  } catch {
    return false
  }
}

export class Supervisor {
  readonly children = new Map<string, RunningChild>()
  private stopping = false
  private readonly log: (line: string) => void

  constructor(private readonly opts: SupervisorOptions = {}) {
    this.log = opts.log ?? ((line) => process.stdout.write(`${line}\n`))
  }

  /** Start every child and resolve once all are healthy; on failure stop what started and reject. */
  async start(specs: readonly ChildSpec[]): Promise<void> {
    const width = Math.max(...specs.map((s) => s.name.length))
    for (const spec of specs) this.spawnChild(spec, width)
    const deadline = Date.now() + (this.opts.startTimeoutMs ?? 30_000)
    const waiting = new Set(specs.map((s) => s.name))
    while (waiting.size) {
      for (const name of [...waiting]) {
        const child = this.children.get(name)!
        if (child.process.exitCode !== null || child.process.signalCode !== null) {
          await this.stop()
          throw new Error(`${name} exited during start-up (${child.process.signalCode ?? `exit ${child.process.exitCode}`}); its output is above`)
        }
        if (await healthy(child.spec.healthUrl)) waiting.delete(name)
      }
      if (!waiting.size) break
      if (Date.now() > deadline) {
        await this.stop()
        throw new Error(`not healthy after ${(this.opts.startTimeoutMs ?? 30_000) / 1000} s: ${[...waiting].join(', ')}`)
      }
      await sleep(100)
    }
  }

  private spawnChild(spec: ChildSpec, width: number): void {
    const child = spawn(spec.command, spec.args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...spec.env } })
    const prefix = `[${spec.name.padEnd(width)}]`
    for (const stream of [child.stdout!, child.stderr!]) createInterface({ input: stream }).on('line', (line) => this.log(`${prefix} ${line}`))
    const exited = new Promise<void>((resolve) =>
      child.once('exit', (code, signal) => {
        if (!this.stopping) this.opts.onUnexpectedExit?.(spec.name, code, signal)
        resolve()
      }),
    )
    this.children.set(spec.name, { spec, process: child, exited })
  }

  /** SIGTERM everyone, wait for exits, SIGKILL whoever is still there after the grace period. */
  async stop(): Promise<void> {
    this.stopping = true
    const all = [...this.children.values()]
    for (const c of all) if (c.process.exitCode === null && c.process.signalCode === null) c.process.kill('SIGTERM')
    const grace = sleep(this.opts.stopGraceMs ?? 10_000).then(() => 'timeout' as const)
    const done = Promise.all(all.map((c) => c.exited)).then(() => 'done' as const)
    if ((await Promise.race([done, grace])) === 'timeout') {
      for (const c of all) if (c.process.exitCode === null && c.process.signalCode === null) c.process.kill('SIGKILL')
      await done
    }
  }

  /** Kill one child now (fault injection): SIGKILL, no drain. */
  kill(name: string, signal: NodeJS.Signals = 'SIGKILL'): void {
    this.children.get(name)?.process.kill(signal)
  }
}
