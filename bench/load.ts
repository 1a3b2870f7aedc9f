/**
 * `npm run bench -- load [--scenario small|realistic|all] [--step-seconds 12] [--max-concurrency 1024] [--wrk-seconds 8]`
 *
 * Two packages, each on a cluster of its own: `small` (640×360, 1 s segments:
 * objects of kilobytes, so requests per second are what is measured) and
 * `realistic` (4 s segments of a 720p–1080p ladder: objects of 1–4 MB, as a
 * streaming service's, so bytes are). For each:
 *
 * (a) How many players one machine sustains with a cluster (origin, 2 OCAs,
 * steering, each its own process) and the harness together: closed-model
 * steps of doubling concurrency, players on a fast constant trace at 20×
 * time so they request back to back. A step passes when the segment latency
 * p99 is under 200 ms and no request failed and no session was lost; the
 * steps stop at the first failure.
 *
 * (b) The harness's own cost, against wrk (a separate C process) fetching
 * the same segment URLs the sessions fetched at the same concurrency:
 * requests/s of each and CPU time per request. The harness's CPU is this
 * process's (process.cpuUsage; the servers are children); wrk's is from the
 * shell's `times` after it exits. The harness does more per request (steering,
 * manifests, ABR, paced reads), so the ratio is its overhead as a player, not
 * as a bare HTTP client.
 */
import { spawn, spawnSync } from 'node:child_process'
import diagnostics from 'node:diagnostics_channel'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseLadderSpec } from '../encoder/index.js'
import { constantTrace } from '../sim/index.js'
import { type LoadOptions, type LoadReport, runLoad } from '../sim/loadtest/index.js'
import { startTestCluster } from '../test/helpers/cluster.js'
import { testPackage } from '../test/helpers/package.js'
import { failIfDirty, footer, header, spread } from './_rounds.js'
import { parseWrk } from './_wrk.js'

const P99_LIMIT_MS = 200
const TIME_SCALE = 20
/** kbit/s: far above the top rung, so a player is limited by the servers and the harness, not its trace */
const TRACE_KBPS = 200_000

function arg(args: string[], name: string, def: string): string {
  const i = args.indexOf(`--${name}`)
  return i >= 0 && args[i + 1] ? args[i + 1]! : def
}

const fmt = (n: number, d = 0): string => (Number.isFinite(n) ? n.toFixed(d) : 'n/a')
const errorCount = (r: LoadReport) => Object.values(r.errors).reduce((a, b) => a + b, 0)
const reqPerSecond = (r: LoadReport) => r.requests / r.wallSeconds

/** wrk with `times` after it: the shell reports its children's user and system seconds. */
function wrkTimed(url: string, script: string, connections: number, seconds: number): Promise<{ out: string; cpuSeconds: number }> {
  return new Promise((resolve, reject) => {
    const p = spawn('bash', ['-c', 'wrk "$@" && times', 'wrk', '-t1', `-c${connections}`, `-d${seconds}s`, '--latency', '-s', script, url])
    let out = ''
    let err = ''
    p.stdout.on('data', (c) => (out += c))
    p.stderr.on('data', (c) => (err += c))
    p.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`wrk failed: ${err}`))
      // `times` prints the shell's own line, then its children's: "0m1.234s 0m0.567s"
      const lines = out.trim().split('\n')
      const m = /(\d+)m([\d.]+)s\s+(\d+)m([\d.]+)s/.exec(lines.at(-1) ?? '')
      resolve({ out, cpuSeconds: m ? Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4]) : NaN })
    })
  })
}

/** A Lua script cycling over absolute paths; wrk's own host is the first URL's origin. */
function cycleScript(paths: string[]): string {
  return `
local paths = {${paths.map((p) => `"${p}"`).join(',')}}
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", paths[(n % #paths) + 1])
end
`
}

interface Scenario {
  name: string
  describe: string
  make: (dir: string) => ReturnType<typeof testPackage>
}

const SCENARIOS: Scenario[] = [
  {
    name: 'small',
    describe: 'a 640x360 8 s test title (fixed ladder, 1 s segments)',
    make: (dir) => testPackage(dir, { width: 640, height: 360, duration: 8 }),
  },
  {
    name: 'realistic',
    describe: 'a 1920x1080 12 s noisy title, 4 s segments, ladder 720p 2.35M / 1080p 4.3M / 1080p 7.8M (x264 ultrafast)',
    make: (dir) =>
      testPackage(
        dir,
        { kind: 'complex', width: 1920, height: 1080, duration: 12 },
        { ladder: parseLadderSpec('1280x720@2.35M,1920x1080@4.3M,1920x1080@7.8M')!, segmentDuration: 4, h264: { preset: 'ultrafast' } },
      ),
  },
]

export async function run(args: string[]): Promise<void> {
  const which = arg(args, 'scenario', 'all')
  const scenarios = SCENARIOS.filter((s) => which === 'all' || s.name === which)
  if (!scenarios.length) throw new Error(`--scenario: ${which} is not one of ${SCENARIOS.map((s) => s.name).join(', ')}, all`)
  const t0 = performance.now()
  header('bench load')
  try {
    for (const sc of scenarios) await runScenario(sc, args)
  } finally {
    footer()
    console.log(`\nbench load done in ${fmt((performance.now() - t0) / 1000)} s`)
  }
}

async function runScenario(sc: Scenario, args: string[]): Promise<void> {
  const stepSeconds = Number(arg(args, 'step-seconds', '12'))
  const maxConcurrency = Number(arg(args, 'max-concurrency', '1024'))
  const wrkSeconds = Number(arg(args, 'wrk-seconds', '8'))
  const t0 = performance.now()
  const dir = await mkdtemp(join(tmpdir(), 'oclab-bench-load-'))
  const stops: Array<() => Promise<void>> = []
  // every segment URL a session asked for, from undici's own diagnostics channel (the harness stays untouched)
  const segmentUrls = new Set<string>()
  const onRequest = (m: unknown) => {
    const { request } = m as { request: { origin: string | URL; path: string } }
    if (request.path.includes('/seg-')) segmentUrls.add(`${String(request.origin).replace(/\/$/, '')}${request.path}`)
  }
  try {
    console.log(`\n=== scenario ${sc.name}: ${availableParallelism()} CPUs; encoding ${sc.describe}`)
    const pkg = await sc.make(dir)
    const sizes = pkg.title.video.flatMap((v) => v.segments.map((g) => g.bytes))
    console.log(
      `video segments: ${sizes.length}, ${fmt(Math.min(...sizes) / 1e6, 3)}–${fmt(Math.max(...sizes) / 1e6, 3)} MB (median ${fmt(spread(sizes).median / 1e6, 3)} MB); encoded in ${fmt((performance.now() - t0) / 1000)} s`,
    )
    const { cluster } = await startTestCluster({ teardown: (f) => stops.push(f) }, dir, 2)
    console.log(
      `cluster: origin, ${cluster.ocas.length} OCAs, steering (separate processes); players: constant ${TRACE_KBPS / 1000} Mbit/s trace at ${TIME_SCALE}× time, closed model`,
    )
    const load = (concurrency: number, seconds: number): Promise<LoadReport> =>
      runLoad({
        cluster,
        pidOf: () => undefined,
        titles: ['test-title'],
        traces: [constantTrace(TRACE_KBPS)],
        algorithms: ['throughput'],
        mode: 'closed',
        concurrency,
        rampSeconds: 1,
        durationSeconds: seconds,
        timeScale: TIME_SCALE,
        faults: [],
        seed: 1,
      } satisfies LoadOptions)
    // fills every OCA's cache and warms the JIT, so the first step is not a cold-cache step
    await load(4, 3)

    // (a) concurrency steps
    console.log(`\n(a) steps of ${stepSeconds} s; pass = p99 < ${P99_LIMIT_MS} ms, no errors, no lost sessions`)
    console.log('players  sessions  req/s   Gbit/s  p50 ms  p99 ms  errors  lost  verdict')
    diagnostics.subscribe('undici:request:create', onRequest)
    let best: { concurrency: number; r: LoadReport } | undefined
    for (let c = 8; c <= maxConcurrency; c *= 2) {
      const r = await load(c, stepSeconds)
      const pass = r.latencyMs.p99 < P99_LIMIT_MS && errorCount(r) === 0 && r.sessions.lost === 0
      console.log(
        `${String(c).padStart(7)}  ${String(r.sessions.started).padStart(8)}  ${fmt(reqPerSecond(r)).padStart(5)}  ${fmt(r.gbitPerSecond, 3).padStart(7)}  ${String(r.latencyMs.p50).padStart(6)}  ${String(r.latencyMs.p99).padStart(6)}  ${String(errorCount(r)).padStart(6)}  ${String(r.sessions.lost).padStart(4)}  ${pass ? 'pass' : 'FAIL'}`,
      )
      if (!pass) break
      best = { concurrency: c, r }
      if ((performance.now() - t0) / 1000 > 200) {
        console.log('(stopping the steps: each scenario keeps under ~5 minutes)')
        break
      }
    }
    diagnostics.unsubscribe('undici:request:create', onRequest)
    if (!best) {
      console.log(`\nno step passed: even 8 players see p99 ≥ ${P99_LIMIT_MS} ms or errors on this machine`)
      return
    }
    const b = best.r
    console.log(
      `\nsustained: ${best.concurrency} concurrent players at ${fmt(reqPerSecond(b))} req/s, ${fmt(b.gbitPerSecond, 3)} Gbit/s, segment p99 ${b.latencyMs.p99} ms (cluster and harness on the same ${availableParallelism()} CPUs)`,
    )

    // (b) the harness against wrk on the same URLs, same concurrency
    if (spawnSync('wrk', ['--version']).error) {
      console.log('\n(b) skipped: wrk is not installed (apt-get install wrk)')
      return
    }
    const c = best.concurrency
    const urls = [...segmentUrls]
    const origin = new URL(urls[0]!).origin
    const paths = urls.filter((u) => u.startsWith(origin)).map((u) => u.slice(origin.length))
    console.log(
      `\n(b) harness vs wrk at ${c} connections for ${wrkSeconds} s: wrk cycles over the ${paths.length} segment URLs the sessions fetched from ${origin}`,
    )
    const cpu0 = process.cpuUsage()
    const h = await load(c, wrkSeconds)
    const cpu = process.cpuUsage(cpu0)
    const harnessCpuUs = (cpu.user + cpu.system) / h.requests
    const script = join(dir, 'segments.lua')
    await writeFile(script, cycleScript(paths))
    const w = await wrkTimed(origin, script, c, wrkSeconds)
    const wr = parseWrk(w.out, 0)
    // Only good (2xx) answers are work done: CPU per request is per good one.
    const wrkRequests = wr.good
    const wrkCpuUs = (w.cpuSeconds * 1e6) / wrkRequests
    failIfDirty('load (b) wrk', { errors: wr.socketErrors, shed: wr.non2xx, detail: wr.errors })
    failIfDirty('load (b) harness', { errors: errorCount(h), shed: 0, detail: JSON.stringify(h.errors) })
    console.log('            req/s   CPU µs/request  p99 ms')
    console.log(
      `harness  ${fmt(reqPerSecond(h)).padStart(8)}  ${fmt(harnessCpuUs, 1).padStart(14)}  ${String(h.latencyMs.p99).padStart(6)}   (${h.requests} requests, ${fmt((cpu.user + cpu.system) / 1e6, 2)} CPU s)`,
    )
    console.log(
      `wrk      ${fmt(wr.rps).padStart(8)}  ${fmt(wrkCpuUs, 1).padStart(14)}  ${fmt(wr.p99ms, 1).padStart(6)}   (${wrkRequests} requests, ${fmt(w.cpuSeconds, 2)} CPU s${wr.errors ? `; ${wr.errors}` : ''})`,
    )
    console.log(`ratios: harness req/s = ${fmt(reqPerSecond(h) / wr.rps, 2)}× wrk's; harness CPU per request = ${fmt(harnessCpuUs / wrkCpuUs, 1)}× wrk's`)
  } finally {
    diagnostics.unsubscribe('undici:request:create', onRequest)
    for (const stop of stops) await stop()
    await rm(dir, { recursive: true, force: true })
    console.log(`scenario ${sc.name} done in ${fmt((performance.now() - t0) / 1000)} s`)
  }
}
