import { type ChildProcess, spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { request } from 'undici'
import { ErrorCodes, OclabError } from './errors.js'

/**
 * Runs a set of long-lived child processes (the cluster's servers): starts
 * them, forwards their output line by line with a name prefix, waits until
 * every one answers its health URL with 200 in the same round, restarts one
 * that dies (systemd's Restart=on-failure, with exponential backoff and a
 * start-rate limit), and stops them all (SIGTERM, then SIGKILL after a grace
 * period) so no orphan outlives the supervisor.
 */
export interface ChildSpec {
  name: string
  command: string
  args: string[]
  /** GET this until it answers 2xx: the child is up. */
  healthUrl: string
  env?: NodeJS.ProcessEnv
}

/**
 * When and how fast a child that exits on its own is started again. The
 * names and defaults are systemd's (systemd.service(5), systemd.unit(5)):
 * Restart=on-failure restarts after a non-zero exit or a death by a signal
 * other than the "clean" SIGHUP/SIGINT/SIGTERM/SIGPIPE, but not after exit 0
 * (an OCA drained by SIGTERM stays down); RestartSec=100ms is the first
 * delay, doubled on each consecutive failure up to RestartMaxDelaySec; a unit
 * started StartLimitBurst=5 times within StartLimitIntervalSec=10s is given up
 * on ("start request repeated too quickly") and left failed.
 */
export interface RestartPolicy {
  /** 'on-failure' (default) or 'no' (a dead child stays dead: fault-injection tests that want it gone). */
  restart: 'on-failure' | 'no'
  /** RestartSec: delay before the first restart. Default 100 ms. */
  restartDelayMs: number
  /** RestartMaxDelaySec: the doubling stops here. Default 10 s. */
  restartMaxDelayMs: number
  /** StartLimitBurst: starts allowed within `startLimitIntervalMs`. Default 5. */
  startLimitBurst: number
  /** StartLimitIntervalSec. Default 10 s. */
  startLimitIntervalMs: number
}

export const RESTART_DEFAULTS: RestartPolicy = {
  restart: 'on-failure',
  restartDelayMs: 100,
  restartMaxDelayMs: 10_000,
  startLimitBurst: 5,
  startLimitIntervalMs: 10_000,
}

export interface SupervisorOptions {
  /** Where prefixed child output and the supervisor's own lines go. Default: process.stdout. */
  log?: (line: string) => void
  /**
   * How long start() waits for every child to answer 200 (and how long a
   * restarted child has to become healthy before it is killed and counted as
   * a failed start, systemd's TimeoutStartSec). Default 60 s.
   */
  readyTimeoutMs?: number
  /** SIGTERM → SIGKILL grace on stop. Default 10 s (OCAs drain first). */
  stopGraceMs?: number
  /** Restart behaviour; fields left out take RESTART_DEFAULTS. */
  restart?: Partial<RestartPolicy>
  /** Every state change of a child (started, exited, restart scheduled, healthy, failed), for a status file. */
  onChange?: (child: ChildStatus) => void
}

/**
 * starting: spawned, not yet healthy; running: answered 200; backoff: dead,
 * restart scheduled; failed: dead and given up on (start limit, or restart
 * 'no' after a failure); exited: ended cleanly on its own (exit 0); stopped:
 * stopped by the supervisor.
 */
export type ChildState = 'starting' | 'running' | 'backoff' | 'failed' | 'exited' | 'stopped'

export interface ChildStatus {
  name: string
  pid: number | null
  state: ChildState
  /** restarts after an unexpected exit since the supervisor started */
  restarts: number
  lastExit: { code: number | null; signal: NodeJS.Signals | null; at: string } | null
  /** why it is failed, when it is */
  reason?: string
}

export interface RunningChild {
  spec: ChildSpec
  /** the current process (a restart replaces it) */
  process: ChildProcess
  /** resolves when the current process exits */
  exited: Promise<void>
}

interface Slot extends RunningChild {
  state: ChildState
  restarts: number
  /** consecutive failed starts: the backoff exponent; reset once the child is healthy */
  failures: number
  /** start times within the start-limit interval */
  starts: number[]
  lastExit: ChildStatus['lastExit']
  reason?: string
  timer?: NodeJS.Timeout
  /** the last few output lines, quoted when the child fails */
  tail: string[]
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const CLEAN_SIGNALS = new Set<string>(['SIGHUP', 'SIGINT', 'SIGTERM', 'SIGPIPE'])
const TAIL_LINES = 10

/** Restart=on-failure: restart unless the exit was clean (code 0, or one of systemd's clean signals). */
export const exitIsFailure = (code: number | null, signal: NodeJS.Signals | null): boolean => (signal !== null ? !CLEAN_SIGNALS.has(signal) : code !== 0)

/** The n-th consecutive restart's delay (n ≥ 1): RestartSec doubled each time, capped at RestartMaxDelaySec. */
export const restartDelay = (p: Pick<RestartPolicy, 'restartDelayMs' | 'restartMaxDelayMs'>, n: number): number =>
  Math.min(p.restartMaxDelayMs, p.restartDelayMs * 2 ** Math.max(0, n - 1))

/** What a health URL answers: 'ok' for 2xx, else a short reason for the not-ready message. */
export async function probeHealth(url: string): Promise<'ok' | string> {
  try {
    const res = await request(url, { headersTimeout: 2000, bodyTimeout: 2000 })
    await res.body.dump()
    return res.statusCode >= 200 && res.statusCode < 300 ? 'ok' : `HTTP ${res.statusCode}`
  } catch (err) {
    return (err as NodeJS.ErrnoException).code ?? (err as Error).message
  }
}

const describeExit = (code: number | null, signal: NodeJS.Signals | null) => (signal ? signal : `exit ${code}`)

export class Supervisor {
  readonly children = new Map<string, RunningChild>()
  private readonly slots = new Map<string, Slot>()
  private stopping = false
  private width = 0
  private readonly log: (line: string) => void
  private readonly policy: RestartPolicy
  private readonly readyTimeoutMs: number

  constructor(private readonly opts: SupervisorOptions = {}) {
    this.log = opts.log ?? ((line) => process.stdout.write(`${line}\n`))
    this.policy = { ...RESTART_DEFAULTS, ...opts.restart }
    this.readyTimeoutMs = opts.readyTimeoutMs ?? 60_000
  }

  /**
   * Start every child and resolve once all of them answer 200 in the same
   * round (one answering before another is up proves nothing about both at
   * once). A child that dies meanwhile is restarted under the policy; one
   * given up on, or the deadline passing, stops everything and rejects with
   * OCLAB_ERR_CHILD_FAILED or OCLAB_ERR_NOT_READY.
   */
  async start(specs: readonly ChildSpec[]): Promise<void> {
    this.width = Math.max(this.width, ...specs.map((s) => s.name.length), 'supervisor'.length)
    for (const spec of specs) this.spawnChild(spec)
    const deadline = Date.now() + this.readyTimeoutMs
    let answers: Array<[string, string]> = []
    for (;;) {
      if (this.stopping) throw new OclabError(ErrorCodes.NOT_READY, 'stopped during start-up')
      const failed = [...this.slots.values()].filter((s) => s.state === 'failed' || s.state === 'exited')
      if (failed.length) {
        await this.stop()
        const s = failed[0]!
        throw new OclabError(
          ErrorCodes.CHILD_FAILED,
          `${s.spec.name} ${s.reason ?? `exited during start-up (${describeExit(s.lastExit?.code ?? null, s.lastExit?.signal ?? null)})`}${s.tail.length ? `; its last output:\n  ${s.tail.join('\n  ')}` : ''}`,
        )
      }
      answers = await Promise.all(
        [...this.slots.values()].map(
          async (s) => [s.spec.name, s.state === 'backoff' ? 'restarting' : await probeHealth(s.spec.healthUrl)] as [string, string],
        ),
      )
      if (answers.every(([, a]) => a === 'ok')) break
      if (Date.now() >= deadline) {
        await this.stop()
        const waiting = answers.filter(([, a]) => a !== 'ok').map(([n, a]) => `${n} (${a})`)
        throw new OclabError(ErrorCodes.NOT_READY, `not every server answered /health with 200 within ${this.readyTimeoutMs / 1000} s: ${waiting.join(', ')}`)
      }
      await sleep(200)
    }
    for (const s of this.slots.values()) if (s.state === 'starting') this.markHealthy(s)
  }

  /** Every child's state, restarts and last exit. */
  status(): ChildStatus[] {
    return [...this.slots.values()].map((s) => this.statusOf(s))
  }

  private statusOf(s: Slot): ChildStatus {
    const running = s.process.exitCode === null && s.process.signalCode === null
    return {
      name: s.spec.name,
      pid: running ? (s.process.pid ?? null) : null,
      state: s.state,
      restarts: s.restarts,
      lastExit: s.lastExit,
      ...(s.reason ? { reason: s.reason } : {}),
    }
  }

  private say(line: string): void {
    this.log(`[${'supervisor'.padEnd(this.width)}] ${line}`)
  }

  private changed(s: Slot): void {
    this.opts.onChange?.(this.statusOf(s))
  }

  private spawnChild(spec: ChildSpec, prior?: Slot): Slot {
    const child = spawn(spec.command, spec.args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...spec.env } })
    const prefix = `[${spec.name.padEnd(this.width)}]`
    const slot: Slot = prior ?? {
      spec,
      process: child,
      exited: Promise.resolve(),
      state: 'starting',
      restarts: 0,
      failures: 0,
      starts: [],
      lastExit: null,
      tail: [],
    }
    slot.process = child
    slot.state = 'starting'
    slot.starts.push(Date.now())
    for (const stream of [child.stdout!, child.stderr!]) {
      createInterface({ input: stream }).on('line', (line) => {
        slot.tail.push(line)
        if (slot.tail.length > TAIL_LINES) slot.tail.shift()
        this.log(`${prefix} ${line}`)
      })
    }
    // a spawn that fails (ENOENT) emits 'error' and then 'exit' with a code; the exit handler does the rest
    child.on('error', (err) => this.say(`${spec.name}: ${err.message}`))
    slot.exited = new Promise<void>((resolve) =>
      child.once('exit', (code, signal) => {
        this.onExit(slot, child, code, signal)
        resolve()
      }),
    )
    this.slots.set(spec.name, slot)
    this.children.set(spec.name, slot)
    this.say(`${spec.name} started, pid ${child.pid ?? '?'}${slot.restarts ? ` (restart ${slot.restarts})` : ''}`)
    this.changed(slot)
    return slot
  }

  private onExit(s: Slot, child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (s.process !== child) return
    s.lastExit = { code, signal, at: new Date().toISOString() }
    if (this.stopping) {
      s.state = 'stopped'
      this.changed(s)
      return
    }
    const how = describeExit(code, signal)
    if (!exitIsFailure(code, signal)) {
      s.state = 'exited'
      s.reason = `exited cleanly (${how}) and is not restarted`
      this.say(`${s.spec.name} ${s.reason}`)
      this.changed(s)
      return
    }
    if (this.policy.restart === 'no') {
      s.state = 'failed'
      s.reason = `exited (${how}); restart is off`
      this.say(`${s.spec.name} ${s.reason}`)
      this.changed(s)
      return
    }
    const now = Date.now()
    s.starts = s.starts.filter((t) => t > now - this.policy.startLimitIntervalMs)
    if (s.starts.length >= this.policy.startLimitBurst) {
      s.state = 'failed'
      s.reason = `exited (${how}) after ${s.starts.length} starts within ${this.policy.startLimitIntervalMs / 1000} s (start limit ${this.policy.startLimitBurst}): given up, left failed`
      this.say(`${s.spec.name} ${s.reason}`)
      this.changed(s)
      return
    }
    s.failures++
    const delay = restartDelay(this.policy, s.failures)
    s.state = 'backoff'
    this.say(`${s.spec.name} exited unexpectedly (${how}); restart ${s.restarts + 1} in ${delay} ms`)
    this.changed(s)
    s.timer = setTimeout(() => {
      s.timer = undefined
      if (this.stopping) return
      s.restarts++
      this.spawnChild(s.spec, s)
      void this.watchRestart(s, s.process)
    }, delay)
  }

  /** A restarted child is running again once it answers 200; one that does not within the ready timeout is killed, which counts as a failed start. */
  private async watchRestart(s: Slot, child: ChildProcess): Promise<void> {
    const deadline = Date.now() + this.readyTimeoutMs
    while (!this.stopping && s.process === child && child.exitCode === null && child.signalCode === null) {
      if ((await probeHealth(s.spec.healthUrl)) === 'ok') {
        if (s.process === child && !this.stopping) this.markHealthy(s)
        return
      }
      if (Date.now() >= deadline) {
        this.say(`${s.spec.name} not healthy ${this.readyTimeoutMs / 1000} s after restart: killing it`)
        child.kill('SIGKILL')
        return
      }
      await sleep(200)
    }
  }

  private markHealthy(s: Slot): void {
    if (s.state !== 'starting') return
    s.state = 'running'
    s.failures = 0
    if (s.restarts) this.say(`${s.spec.name} healthy again, pid ${s.process.pid} (${s.restarts} restart${s.restarts === 1 ? '' : 's'} so far)`)
    this.changed(s)
  }

  /**
   * Resolves once no child is running or about to be restarted (each has
   * exited cleanly, been given up on or been stopped): what `oclab cluster`
   * waits for before it exits by itself.
   */
  async settled(): Promise<void> {
    for (;;) {
      const live = [...this.slots.values()].filter((s) => s.state === 'starting' || s.state === 'running' || s.state === 'backoff')
      if (!live.length) return
      await Promise.race(live.map((s) => (s.state === 'backoff' ? sleep(50) : s.exited)))
    }
  }

  /** SIGTERM everyone, wait for exits, SIGKILL whoever is still there after the grace period; cancels pending restarts. */
  async stop(): Promise<void> {
    this.stopping = true
    const all = [...this.slots.values()]
    for (const s of all) {
      if (s.timer) {
        clearTimeout(s.timer)
        s.timer = undefined
        s.state = 'stopped'
        this.changed(s)
      }
    }
    for (const c of all) if (c.process.exitCode === null && c.process.signalCode === null) c.process.kill('SIGTERM')
    let graceTimer: NodeJS.Timeout | undefined
    const grace = new Promise<'timeout'>((r) => (graceTimer = setTimeout(() => r('timeout'), this.opts.stopGraceMs ?? 10_000)))
    const done = Promise.all(all.map((c) => c.exited)).then(() => 'done' as const)
    const first = await Promise.race([done, grace])
    clearTimeout(graceTimer)
    if (first === 'timeout') {
      for (const c of all) if (c.process.exitCode === null && c.process.signalCode === null) c.process.kill('SIGKILL')
      await done
    }
  }

  /** Send one child a signal now (fault injection): SIGKILL by default, no drain. */
  kill(name: string, signal: NodeJS.Signals = 'SIGKILL'): void {
    this.slots.get(name)?.process.kill(signal)
  }
}
