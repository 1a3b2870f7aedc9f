/**
 * Shared by the benchmarks so none of them can flatter (issue 21): CPU time
 * of a server process tree from /proc, the host's load average, A/B cases run
 * interleaved for several rounds, ratios reported as median and range, and a
 * loud failure when a run had errors or shed requests. Not a benchmark itself
 * (run.ts skips names starting with `_`, and this one exports no `run`).
 */

import { spawnSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { loadavg } from 'node:os'

let ticks: number | undefined
/** Clock ticks per second of /proc/<pid>/stat's utime and stime. */
function clkTck(): number {
  if (ticks === undefined) {
    const r = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' })
    ticks = Number(r.stdout.trim()) || 100
  }
  return ticks
}

function childrenOf(pid: number): number[] {
  const out: number[] = []
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const list = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim()
      if (list) out.push(...list.split(/\s+/).map(Number))
    }
  } catch {
    // gone already
  }
  return out
}

/**
 * user + system CPU seconds of one process (0 once it is gone); with
 * `reaped`, also those of children it has waited for (cutime/cstime: the
 * ffmpeg runs of an encoder that have exited).
 */
export function cpuSecondsOf(pid: number, reaped = false): number {
  try {
    // Fields after the command name (which may contain spaces) start at `) `.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const own = Number(f[11]) + Number(f[12])
    return (reaped ? own + Number(f[13]) + Number(f[14]) : own) / clkTck()
  } catch {
    return 0
  }
}

/** This process's CPU seconds (user + system): a busy machine stretches wall time, not this. */
export function ownCpuSeconds(): number {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1e6
}

/** CPU seconds of a process and all its live descendants (nginx's master and workers), plus reaped ones with `reaped`. */
export function cpuSecondsTree(pid: number, reaped = false): number {
  let s = cpuSecondsOf(pid, reaped)
  for (const c of childrenOf(pid)) s += cpuSecondsTree(c, reaped)
  return s
}

export function loadAverage(): string {
  return loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')
}

export interface Spread {
  median: number
  min: number
  max: number
  n: number
}

export function spread(xs: number[]): Spread {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b)
  if (s.length === 0) return { median: NaN, min: NaN, max: NaN, n: 0 }
  const mid = s.length >> 1
  const median = s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
  return { median, min: s[0]!, max: s[s.length - 1]!, n: s.length }
}

export function fmtSpread(x: Spread, digits = 2, unit = '×'): string {
  if (x.n === 0) return 'n/a'
  return `${x.median.toFixed(digits)}${unit} (range ${x.min.toFixed(digits)}–${x.max.toFixed(digits)}, ${x.n} rounds)`
}

/**
 * The order of the cases in round `r`: rotated each round, so on a machine
 * whose speed drifts no case always runs first (ABC, BCA, CAB, …).
 */
export function roundOrder<T>(cases: readonly T[], r: number): T[] {
  const k = cases.length === 0 ? 0 : r % cases.length
  return [...cases.slice(k), ...cases.slice(0, k)]
}

/** Run `cases` interleaved for `rounds` rounds; results per case name, in round order. */
export async function interleave<T>(
  rounds: number,
  cases: readonly { name: string }[],
  runOne: (name: string, round: number) => Promise<T>,
): Promise<Map<string, T[]>> {
  const out = new Map<string, T[]>(cases.map((c) => [c.name, []]))
  for (let r = 0; r < rounds; r++) for (const c of roundOrder(cases, r)) out.get(c.name)!.push(await runOne(c.name, r))
  return out
}

/** Per-round ratios a[i] / b[i] of two cases measured in the same rounds. */
export function ratios(a: number[], b: number[]): number[] {
  return a.map((x, i) => x / b[i]!)
}

/** Median and range of the per-round ratios of(a[i]) / of(b[i]): one figure of case A against case B. */
export function ratioSpread<T>(a: readonly T[], b: readonly T[], of: (r: T) => number): Spread {
  return spread(ratios(a.map(of), b.map(of)))
}

/**
 * A benchmark whose run had errors or shed (503) requests measured something
 * other than what it claims: say so on stderr and make the process exit non-zero.
 */
export function failIfDirty(label: string, counts: { errors: number; shed: number; detail?: string }): boolean {
  if (counts.errors === 0 && counts.shed === 0) return false
  console.error(
    `BENCH FAILED: ${label}: ${counts.errors} errors, ${counts.shed} shed (503) responses${counts.detail ? ` (${counts.detail})` : ''}; its figures are not comparable`,
  )
  process.exitCode = 1
  return true
}

export function header(what: string): void {
  console.log(
    `${what}\nhost load average at start (1/5/15 min): ${loadAverage()}; ${spawnSync('nproc', ['--all']).stdout?.toString().trim() ?? '?'} cores on the host`,
  )
}

export function footer(): void {
  console.log(`host load average at end (1/5/15 min): ${loadAverage()}`)
}
