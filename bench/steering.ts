/**
 * `npm run bench -- steering [--duration 10s] [--connections 32] [--threads 1] [--rounds 3] [--cpu-prof DIR [--cpu-prof-interval µs]] [--baseline CHECKOUT]`
 *
 * `--cpu-prof DIR` writes a V8 CPU profile of the servers into DIR (V8 samples
 * every 1000 µs by default: a steering answer is ~20 µs, so ask for ~50).
 *
 * `--baseline CHECKOUT` also runs the steering server of another checkout of
 * this repository (a `git worktree` of main, with node_modules) as a third
 * case, `base`, alternated with the other two, and prints this checkout's CPU
 * per answer against it: old and new code measured in the same rounds, on a
 * machine whose speed changes between runs.
 *
 * Steering decisions over HTTP on loopback: `GET /v1/steer?title=…` against
 * the real steering server (its own process) with 50 OCAs in 25 sites and
 * 10,000 coverage prefixes (IPv4 and IPv6), each request from a different
 * client address (X-Forwarded-For from a trusted 127.0.0.1, varied by a wrk
 * Lua script) and title. Beside it, in the same run, a bare Fastify route
 * returning a constant (the ceiling for any Fastify route on this machine).
 * Load comes from wrk, a separate process.
 *
 * The OCAs' `/health` answers come from one stub server in this process
 * (every OCA url is `http://127.0.0.1:<port>/<id>`): the benchmark is about
 * the steering decision, and 50 real OCA processes would only steal the
 * CPU the measurement needs. The steering process still polls all 50 every
 * second, as in production.
 *
 * Bare and steering runs alternate for `--rounds` rounds and the median
 * round is reported: on a shared machine one round can land on a busy
 * moment for either side.
 *
 * Run as a child with OCLAB_BENCH_STEERING=serve|bare this file is the
 * steering server or the bare route instead.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { ClusterConfig, OcaConfig } from '../lib/cluster.js'
import { freePort } from '../lib/free-port.js'
import { cpuSecondsOf, failIfDirty, fmtSpread, footer, header, interleave, ratioSpread, spread } from './_rounds.js'
import { parseWrk } from './_wrk.js'

const SITES = 25
const OCAS_PER_SITE = 2
const PREFIXES = 10_000
const TITLES = 200
const CLIENTS = 2000

/** A small deterministic PRNG (LCG) so every run builds the same fleet. */
function prng(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    return s / 2 ** 32
  }
}

interface Fleet {
  cluster: ClusterConfig
  /** title ids each OCA holds */
  holds: Map<string, string[]>
  clients: string[]
}

export function buildFleet(healthBase: string): Fleet {
  const rnd = prng(7)
  const ocas: OcaConfig[] = []
  const holds = new Map<string, string[]>()
  const clients: string[] = []
  const perSite = PREFIXES / SITES
  let v4 = 0x0b000000 // 11.0.0.0 upward: /24s and some /20 and /28, disjoint by construction
  for (let s = 0; s < SITES; s++) {
    const coverage: string[] = []
    for (let i = 0; i < perSite; i++) {
      if (i % 10 === 9) {
        // every tenth prefix IPv6: a /48 under 2001:db8::/32
        const n = s * perSite + i
        coverage.push(`2001:db8:${(n >> 8).toString(16)}:${(n & 0xff).toString(16)}00::/56`)
        if (i % 50 === 9) clients.push(`2001:db8:${(n >> 8).toString(16)}:${(n & 0xff).toString(16)}01::9`)
        continue
      }
      const len = i % 7 === 0 ? 20 : i % 5 === 0 ? 28 : 24
      const size = 2 ** (32 - len)
      v4 = Math.ceil(v4 / size) * size
      const ip = [24, 16, 8, 0].map((b) => (v4 >>> b) & 255).join('.')
      coverage.push(`${ip}/${len}`)
      const host = v4 + 1 + Math.floor(rnd() * (size - 2))
      if (clients.length < CLIENTS) clients.push([24, 16, 8, 0].map((b) => (host >>> b) & 255).join('.'))
      v4 += size
    }
    const lat = -60 + rnd() * 120
    const lon = -180 + rnd() * 360
    for (let k = 0; k < OCAS_PER_SITE; k++) {
      const id = `s${s}-oca${k}`
      ocas.push({ id, url: `${healthBase}/${id}`, site: `site${s}`, region: 'bench', lat, lon, coverage, capacityBytes: 1e12, bandwidthBps: 10e9 })
      // each OCA holds about a third of the catalog
      holds.set(
        id,
        Array.from({ length: TITLES }, (_, t) => `title-${t}`).filter(() => rnd() < 0.35),
      )
    }
  }
  // a tenth of the clients come from nowhere in the map (geo or default site)
  for (let i = 0; i < CLIENTS / 10; i++) clients.push(`198.51.100.${1 + (i % 250)}`)
  const cluster: ClusterConfig = {
    version: 1,
    adminToken: 'bench-admin-token-0123456789',
    signing: { secret: 'bench-signing-secret-0123456789', ttlSeconds: 3600 },
    origin: { url: 'http://127.0.0.1:9' },
    steering: { url: 'http://127.0.0.1:9' },
    defaultSite: 'site0',
    ocas,
  }
  return { cluster, holds, clients }
}

export function serveHealth(holds: Map<string, string[]>, port: number): Promise<Server> {
  const rnd = prng(11)
  const bodies = new Map(
    [...holds].map(([id, titles]) => [
      `/${id}/health`,
      JSON.stringify({ id, status: 'ok', bytesServedPerSecond: Math.floor(rnd() * 1.1e9), titles, requests: { inFlight: 0, total: 0 } }),
    ]),
  )
  const server = createServer((req, res) => {
    const body = bodies.get(req.url ?? '')
    res.writeHead(body ? 200 : 404, { 'content-type': 'application/json' }).end(body ?? '{}')
  })
  return new Promise((r) => server.listen(port, '127.0.0.1', () => r(server)))
}

export function luaScript(clients: string[]): string {
  const list = (xs: string[]) => xs.map((x) => `"${x}"`).join(',')
  return `
local clients = {${list(clients)}}
local n = 0
request = function()
  n = n + 1
  local ip = clients[(n % #clients) + 1]
  local path = "/v1/steer?title=title-" .. ((n * 7919) % ${TITLES})
  if n % 10 == 0 then path = path .. "&lat=48.85&lon=2.35" end
  return wrk.format("GET", path, { ["X-Forwarded-For"] = ip })
end
`
}

async function waitFor(check: () => Promise<boolean>, child: ChildProcess, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (child.exitCode !== null) throw new Error(`${what}: process exited with ${child.exitCode}`)
    if (await check().catch(() => false)) return
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`${what} did not come up`)
}

/**
 * On a machine with two or more CPUs the servers' event-loop threads get one CPU
 * and wrk (with this process's, which answers the health polls) the other, the same
 * for the bare route and /v1/steer: left to the scheduler, wrk and the server
 * sometimes share a CPU, and the bare route's rate jumps between two levels 25%
 * apart from one run to the next. Only the main threads are pinned (`taskset -p`
 * without `-a`): the garbage collector's helper threads may run anywhere, as they
 * would in production; pinned with the server, they stretch its p99.
 */
const SERVER_CPU = 1
const LOAD_CPU = 0
const canPin = availableParallelism() >= 2 && !spawnSync('taskset', ['-c', '0', 'true']).error
const pinThread = (pid: number, cpu: number): void => {
  if (canPin) spawnSync('taskset', ['-p', '-c', String(cpu), String(pid)])
}

function wrk(url: string, script: string, o: { threads: number; connections: number; duration: string }): Promise<string> {
  // Asynchronous: this process also answers the OCAs' health polls while wrk runs.
  return new Promise((resolve, reject) => {
    const args = [`-t${o.threads}`, `-c${o.connections}`, `-d${o.duration}`, '--latency', '-s', script, url]
    const p = canPin ? spawn('taskset', ['-c', String(LOAD_CPU), 'wrk', ...args]) : spawn('wrk', args)
    let out = ''
    let err = ''
    p.stdout.on('data', (c) => (out += c))
    p.stderr.on('data', (c) => (err += c))
    p.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`wrk failed: ${err}`))))
  })
}

function arg(args: string[], name: string, def: string): string {
  const i = args.indexOf(`--${name}`)
  return i >= 0 && args[i + 1] ? args[i + 1]! : def
}

const fmt = (n: number, d = 0): string => (Number.isFinite(n) ? n.toFixed(d) : 'n/a')

export async function run(args: string[]): Promise<void> {
  const load = {
    duration: arg(args, 'duration', '10s'),
    connections: Number(arg(args, 'connections', '32')),
    threads: Number(arg(args, 'threads', '1')),
    rounds: Number(arg(args, 'rounds', '3')),
  }
  if (spawnSync('wrk', ['--version']).error) {
    console.error('bench steering: wrk is not installed (apt-get install wrk); nothing measured')
    process.exitCode = 1
    return
  }
  const dir = await mkdtemp(join(tmpdir(), 'oclab-bench-steering-'))
  const children: ChildProcess[] = []
  let health: Server | undefined
  try {
    const [healthPort, steerPort, barePort] = [await freePort(), await freePort(), await freePort()]
    const fleet = buildFleet(`http://127.0.0.1:${healthPort}`)
    const prefixes = new Set(fleet.cluster.ocas.flatMap((o) => o.coverage)).size
    health = await serveHealth(fleet.holds, healthPort)
    const clusterPath = join(dir, 'cluster.json')
    await writeFile(clusterPath, JSON.stringify({ ...fleet.cluster, steering: { url: `http://127.0.0.1:${steerPort}` } }))
    const script = join(dir, 'steer.lua')
    await writeFile(script, luaScript(fleet.clients))

    const self = fileURLToPath(import.meta.url)
    const profileDir = arg(args, 'cpu-prof', '')
    const interval = arg(args, 'cpu-prof-interval', '')
    const profile = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, ...(interval ? [`--cpu-prof-interval=${interval}`] : [])] : []
    const baseline = arg(args, 'baseline', '')
    const child = (mode: string, port: number, file = self) => {
      const c = spawn(process.execPath, [...profile, '--import', 'tsx', file], {
        stdio: ['ignore', 'inherit', 'inherit'],
        env: { ...process.env, OCLAB_BENCH_STEERING: mode, OCLAB_BENCH_PORT: String(port), OCLAB_BENCH_CLUSTER: clusterPath },
      })
      children.push(c)
      return c
    }
    const steer = child('serve', steerPort)
    const bare = child('bare', barePort)
    const basePort = baseline ? await freePort() : 0
    // The baseline's own bench file serves its own steering code (its imports resolve in its checkout).
    const base = baseline ? child('serve', basePort, join(baseline, 'bench', 'steering.ts')) : undefined
    const steerUrl = `http://127.0.0.1:${steerPort}`
    const bareUrl = `http://127.0.0.1:${barePort}`
    const baseUrl = `http://127.0.0.1:${basePort}`
    const allUp = (url: string) => async () => {
      const r = await fetch(`${url}/ocas`)
      const { ocas } = (await r.json()) as { ocas: Array<{ state: string }> }
      return ocas.length === fleet.cluster.ocas.length && ocas.every((o) => o.state === 'up')
    }
    await waitFor(allUp(steerUrl), steer, 'steering (all 50 OCAs up)')
    if (base) await waitFor(allUp(baseUrl), base, `baseline steering from ${baseline} (all 50 OCAs up)`)
    await waitFor(async () => (await fetch(`${bareUrl}/v1/steer?title=x`)).ok, bare, 'bare route')

    const sample = (await (await fetch(`${steerUrl}/v1/steer?title=title-3`, { headers: { 'x-forwarded-for': fleet.clients[5]! } })).json()) as {
      client: { how: string }
      candidates: unknown[]
    }
    console.log(
      `fleet: ${fleet.cluster.ocas.length} OCAs in ${SITES} sites, ${prefixes} coverage prefixes, ${TITLES} titles, ${fleet.clients.length} client addresses`,
    )
    console.log(`sample decision: client located by ${sample.client.how}, ${sample.candidates.length} candidates`)
    console.log(`load: wrk -t${load.threads} -c${load.connections} -d${load.duration}, each request another client and title`)
    pinThread(process.pid, LOAD_CPU)
    for (const c of children) pinThread(c.pid!, SERVER_CPU)
    console.log(
      canPin
        ? `CPUs: the servers' event loops on CPU ${SERVER_CPU}, wrk and the health answers on CPU ${LOAD_CPU}\n`
        : 'CPUs: not pinned (one CPU, or no taskset)\n',
    )

    // warm both up (JIT, connection pools) before measuring
    await wrk(bareUrl, script, { ...load, duration: '2s' })
    await wrk(steerUrl, script, { ...load, duration: '2s' })
    if (base) await wrk(baseUrl, script, { ...load, duration: '2s' })
    // Interleaved (order rotated each round), CPU of each server process per
    // good answer beside its rate; any error or non-2xx fails the run.
    header(
      `bench steering: ${load.rounds} rounds, bare route and /v1/steer${base ? ` and the baseline's /v1/steer (${baseline})` : ''} alternated; CPU = user+system s of the server process (/proc)`,
    )
    const pidOf = new Map([
      ['bare', bare.pid!],
      ['steer', steer.pid!],
      ['base', base?.pid ?? 0],
    ])
    const urlOf = new Map([
      ['bare', bareUrl],
      ['steer', steerUrl],
      ['base', baseUrl],
    ])
    let dirty = false
    const cases = [{ name: 'bare' }, { name: 'steer' }, ...(base ? [{ name: 'base' }] : [])]
    const results = await interleave(load.rounds, cases, async (name, round) => {
      const cpu0 = cpuSecondsOf(pidOf.get(name)!)
      const r = parseWrk(await wrk(urlOf.get(name)!, script, load), 0)
      const cpu = cpuSecondsOf(pidOf.get(name)!) - cpu0
      const cpuUsPerReq = (cpu / (r.good || NaN)) * 1e6
      console.log(
        `  round ${round + 1} ${name.padEnd(5)} ${fmt(r.rps).padStart(7)} good req/s  p50 ${fmt(r.p50ms, 2).padStart(6)} ms  p99 ${fmt(r.p99ms, 2).padStart(6)} ms  CPU ${fmt(cpuUsPerReq, 1)} µs/request${r.errors ? `  (${r.errors})` : ''}`,
      )
      dirty = failIfDirty(`steering ${name} round ${round + 1}`, { errors: r.socketErrors, shed: r.non2xx, detail: r.errors }) || dirty
      return { ...r, cpuUsPerReq }
    })
    const b = results.get('bare')!
    const st = results.get('steer')!
    const rate = ratioSpread(st, b, (r) => r.rps)
    // Efficiency: requests per CPU second relative to the bare route (issue 21 target ≥ 0.8×).
    const eff = ratioSpread(b, st, (r) => r.cpuUsPerReq)
    console.log(
      `\n/v1/steer / bare route: req/s ${fmtSpread(rate)}; CPU efficiency (bare CPU per request / steer CPU per request) ${fmtSpread(eff)} (target ≥ 0.80×)`,
    )
    console.log(
      `CPU per request: bare ${fmtSpread(spread(b.map((r) => r.cpuUsPerReq)), 1, ' µs')}, /v1/steer ${fmtSpread(spread(st.map((r) => r.cpuUsPerReq)), 1, ' µs')}`,
    )
    console.log(
      `/v1/steer p99 ${fmtSpread(spread(st.map((r) => r.p99ms)), 2, ' ms')} (target < 5 ms); bare p99 ${fmtSpread(spread(b.map((r) => r.p99ms)), 2, ' ms')}`,
    )
    const bs = results.get('base')
    if (bs) {
      const vsBase = ratioSpread(bs, st, (r) => r.cpuUsPerReq)
      const baseEff = ratioSpread(b, bs, (r) => r.cpuUsPerReq)
      console.log(
        `baseline /v1/steer: CPU per request ${fmtSpread(spread(bs.map((r) => r.cpuUsPerReq)), 1, ' µs')}, efficiency against bare ${fmtSpread(baseEff)}, p99 ${fmtSpread(spread(bs.map((r) => r.p99ms)), 2, ' ms')}`,
      )
      console.log(`this checkout against the baseline: baseline CPU per request / this one's ${fmtSpread(vsBase)} (above 1: this one is cheaper)`)
    }
    footer()
    console.log(`verdict: ${eff.median >= 0.8 && spread(st.map((r) => r.p99ms)).median < 5 ? 'meets both targets (medians)' : 'MISSES a target'}`)
    if (dirty) console.error('bench steering: FAILED — some rounds had errors or non-2xx answers (see above); do not quote these figures')
  } finally {
    // SIGTERM: the children exit through process.exit, so `--cpu-prof` in NODE_OPTIONS writes their profiles.
    for (const c of children) c.kill('SIGTERM')
    health?.close()
    await rm(dir, { recursive: true, force: true })
  }
}

async function serveChild(mode: string): Promise<void> {
  const port = Number(process.env.OCLAB_BENCH_PORT)
  if (mode === 'bare') {
    const Fastify = (await import('fastify')).default
    const app = Fastify({ logger: false })
    app.get('/v1/steer', async () => ({ ok: true }))
    await app.listen({ host: '127.0.0.1', port })
    return
  }
  const { readCluster } = await import('../lib/cluster.js')
  const { buildSteeringServer } = await import('../steering/index.js')
  const app = buildSteeringServer({ cluster: await readCluster(process.env.OCLAB_BENCH_CLUSTER!), trustedProxies: ['127.0.0.1/32'], fillOnMiss: false })
  await app.listen({ host: '127.0.0.1', port })
}

if (process.env.OCLAB_BENCH_STEERING) {
  process.once('SIGTERM', () => process.exit(0))
  await serveChild(process.env.OCLAB_BENCH_STEERING)
}
