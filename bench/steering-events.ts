/**
 * `npm run bench -- steering-events [--events 6] [--window 500]`
 *
 * Does a decision-cache generation change cost a round of slow answers
 * (issue 21)? The steering server of bench/steering.ts (50 OCAs, 25 sites,
 * 10,000 prefixes, 200 titles) answers `/v1/steer` in this process through
 * Fastify's inject (no sockets: the answer's own CPU, not the network's), in
 * windows of `--window` answers. Steady windows are compared with the windows
 * right after an OCA goes down or comes back (a registry version change: the
 * cache starts a new generation, every (zone, title) key is ranked again).
 * Reported per window: CPU µs per answer (process CPU time, robust to other
 * load on a shared machine, though GC and the scheduler still move single
 * windows) and the p99 of the per-answer wall time. Every answer is checked:
 * status 200, and never the OCA that is down.
 */
import { performance } from 'node:perf_hooks'
import { freePort } from '../lib/free-port.js'
import { buildSteeringServer } from '../steering/index.js'
import { failIfDirty, fmtSpread, footer, header, spread } from './_rounds.js'
import { buildFleet, serveHealth } from './steering.js'

function arg(args: string[], name: string, def: number): number {
  const i = args.indexOf(`--${name}`)
  const v = i >= 0 ? Number(args[i + 1]) : def
  if (!Number.isInteger(v) || v <= 0) throw new Error(`--${name} must be a positive integer`)
  return v
}

const p99 = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(0.99 * (xs.length - 1))]!

export async function run(args: string[]): Promise<void> {
  const events = arg(args, 'events', 6)
  const W = arg(args, 'window', 500)
  const AFTER = 5
  const STEADY = 10
  header(
    `steering answers around decision-cache generation changes: windows of ${W} answers, ${STEADY} steady windows then ${AFTER} after each of ${events} health changes (an OCA down, then up again)`,
  )
  const port = await freePort()
  const fleet = buildFleet(`http://127.0.0.1:${port}`)
  const health = await serveHealth(fleet.holds, port)
  const app = buildSteeringServer({ cluster: fleet.cluster, startHealthChecks: false, trustedProxies: ['127.0.0.1/32'] })
  let errors = 0
  try {
    await app.ready()
    await app.steering.checker.pollAll()
    const reg = app.steering.registry
    let exp = Math.ceil(Date.now() / 60_000) * 60 + 3600
    app.steering.expiry = () => exp
    let n = 0
    let down: string | undefined
    const window = async (): Promise<{ cpuUs: number; p99Ms: number }> => {
      const wall: number[] = []
      const c0 = process.cpuUsage()
      for (let i = 0; i < W; i++) {
        n++
        const t0 = performance.now()
        const r = await app.inject({
          method: 'GET',
          url: `/v1/steer?title=title-${(n * 7919) % 200}`,
          headers: { 'x-forwarded-for': fleet.clients[n % fleet.clients.length]! },
        })
        wall.push(performance.now() - t0)
        // 503 is a right answer when no healthy OCA holds the title; a dead OCA never is.
        if ((r.statusCode !== 200 && r.statusCode !== 503) || (down && r.body.includes(`"id":"${down}"`))) errors++
      }
      const c = process.cpuUsage(c0)
      return { cpuUs: (c.user + c.system) / W, p99Ms: p99(wall) }
    }
    // Warm up: every key asked a few times, the JIT settled.
    for (let i = 0; i < 20; i++) await window()
    const steady: { cpuUs: number; p99Ms: number }[] = []
    const after: { cpuUs: number; p99Ms: number }[][] = []
    for (let e = 0; e < events; e++) {
      for (let i = 0; i < STEADY; i++) steady.push(await window())
      const target = reg.list()[((e >> 1) * 7) % reg.list().length]!
      const id = target.view.id
      const v = reg.version
      reg.setHealth(id, { ...target.health, state: down ? 'up' : 'down', reason: down ? 'healthy' : 'bench: taken down' })
      if (reg.version === v) throw new Error('the health change did not move the registry version')
      down = down ? undefined : id
      const xs: { cpuUs: number; p99Ms: number }[] = []
      for (let i = 0; i < AFTER; i++) xs.push(await window())
      after.push(xs)
    }
    // The same with token-expiry changes: a new minute's tokens.
    const afterExpiry: { cpuUs: number; p99Ms: number }[][] = []
    for (let e = 0; e < events; e++) {
      for (let i = 0; i < STEADY; i++) steady.push(await window())
      exp += 60
      const xs: { cpuUs: number; p99Ms: number }[] = []
      for (let i = 0; i < AFTER; i++) xs.push(await window())
      afterExpiry.push(xs)
    }
    const sCpu = spread(steady.map((w) => w.cpuUs))
    const sP99 = spread(steady.map((w) => w.p99Ms))
    console.log(`steady windows: CPU per answer ${fmtSpread(sCpu, 0, ' µs')}, p99 ${fmtSpread(sP99, 2, ' ms')}`)
    for (const [what, runs] of [
      ['a health change', after],
      ['a token-expiry change', afterExpiry],
    ] as const) {
      for (let k = 0; k < AFTER; k++) {
        const cpu = spread(runs.map((a) => a[k]!.cpuUs / sCpu.median))
        const lat = spread(runs.map((a) => a[k]!.p99Ms / sP99.median))
        console.log(`window ${k + 1} after ${what}: CPU per answer ${fmtSpread(cpu)} the steady median, p99 ${fmtSpread(lat)}`)
      }
    }
    const worstSteady = Math.max(...steady.map((w) => w.cpuUs)) / sCpu.median
    const worst = (runs: { cpuUs: number }[][]) => (Math.max(...runs.flat().map((w) => w.cpuUs)) / sCpu.median).toFixed(2)
    console.log(
      `slowest window (CPU per answer ÷ steady median): ${worst(after)}× after a health change, ${worst(afterExpiry)}× after an expiry change, ${worstSteady.toFixed(2)}× in steady state`,
    )
  } finally {
    await app.close()
    health.close()
  }
  failIfDirty('steering-events', { errors, shed: 0, detail: 'a non-200/503 answer or a dead OCA offered' })
  footer()
}
