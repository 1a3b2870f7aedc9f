/**
 * `npm run bench -- oca [--rounds 3] [--duration 10s] [--connections 32] [--churn-connections 64] [--threads 2] [--nginx-workers 1]`
 *
 * Serve 1 MB and 4 MB segments on loopback from (a) the OCA's hot tier (the
 * real `oclab oca` process), (b) nginx (Debian's package, our own config:
 * sendfile, no access log) and (c) plain @fastify/static, each in its own
 * process, and drive each with wrk (its own process too), the servers
 * interleaved for several rounds. Prints good requests/s, body MB/s, p50/p99
 * latency and CPU seconds per GB of each round, then the median and range of
 * the ratios OCA/nginx and OCA/@fastify/static. Then a churn of 24 distinct
 * 4 MB objects over the OCA's 64 MiB hot tier (disk hits and evictions; OCA
 * and nginx, 64 connections), with the OCA's peak RSS against issue 21's
 * bound. Exits non-zero when a round had errors or non-2xx (shed) answers.
 *
 * Run as a child with OCLAB_BENCH_SERVE=fastify-static this file is the
 * @fastify/static server instead (so the benchmark needs no second file).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Agent, request } from 'undici'
import { freePort } from '../lib/free-port.js'
import { writeLoneOca } from '../test/helpers/cluster.js'
import { cpuSecondsTree, failIfDirty, fmtSpread, footer, header, interleave, ratioSpread, spread } from './_rounds.js'
import { parseWrk } from './_wrk.js'

const SIZES = [
  { name: '1MB', bytes: 1_000_000 },
  { name: '4MB', bytes: 4_000_000 },
]
const TITLE = 'bench'
const ADMIN = 'bench-admin-token-0123456789'

async function waitFor(url: string, child: ChildProcess, name: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}`)
    try {
      const r = await fetch(url)
      await r.arrayBuffer()
      if (r.ok) return
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`${name} did not come up at ${url}`)
}

/**
 * One GET on a connection of its own, body read. A pooled keep-alive
 * connection would sit idle through all rounds of the previous size (5 rounds
 * × 3 servers × 5 s outlast Fastify's 72 s and nginx's 75 s keep-alive
 * timeouts), and a request sent as the server closes it fails the run.
 */
async function getOnce(url: string): Promise<string> {
  const agent = new Agent()
  try {
    const r = await request(url, { dispatcher: agent })
    return await r.body.text()
  } finally {
    await agent.close()
  }
}

/** wrk's report; asynchronous, so the bench can sample the server's memory while it runs. */
function wrk(url: string, o: { threads: number; connections: number; duration: string; script?: string }): Promise<string> {
  const args = [`-t${o.threads}`, `-c${o.connections}`, `-d${o.duration}`, '--latency', ...(o.script ? ['-s', o.script] : []), url]
  return new Promise((resolve, reject) => {
    const child = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.on('data', (c: Buffer) => (out += c))
    child.stderr.on('data', (c: Buffer) => (err += c))
    child.on('error', reject)
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`wrk failed (${code}): ${err}`))))
  })
}

/** Resident set size of a process, bytes (/proc/<pid>/status VmRSS). */
async function rssBytes(pid: number): Promise<number> {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(await readFile(`/proc/${pid}/status`, 'utf8'))
  return m ? Number(m[1]) * 1024 : NaN
}

/**
 * The churn case of issue 21: CHURN_OBJECTS distinct 4 MB objects requested in turn, more than the OCA's hot
 * tier holds, so most answers are disk hits and the tier keeps evicting. wrk's Lua `request()` walks the list
 * (one counter per wrk thread).
 */
const CHURN_OBJECTS = 24
const CHURN_BYTES = 4_000_000
const churnPath = (i: number): string => `/titles/${TITLE}/churn-${String(i + 1).padStart(2, '0')}.m4s`
const CHURN_SCRIPT = `local i = 0
request = function()
  i = (i % ${CHURN_OBJECTS}) + 1
  return wrk.format("GET", string.format("/titles/${TITLE}/churn-%02d.m4s", i))
end
`
const MiB = 1024 * 1024
/** The OCA's hot tier in this bench: both hot objects fit, the churn's 96 MB does not. */
const HOT_TIER_BYTES = 64 * MiB

function arg(args: string[], name: string, def: string): string {
  const i = args.indexOf(`--${name}`)
  return i >= 0 && args[i + 1] ? args[i + 1]! : def
}

const fmt = (n: number, d = 0): string => (Number.isFinite(n) ? n.toFixed(d) : 'n/a')

export async function run(args: string[]): Promise<void> {
  const load = { duration: arg(args, 'duration', '10s'), connections: Number(arg(args, 'connections', '32')), threads: Number(arg(args, 'threads', '2')) }
  const nginxWorkers = arg(args, 'nginx-workers', '1')
  const rounds = Number(arg(args, 'rounds', '3'))
  const churnConnections = Number(arg(args, 'churn-connections', '64'))
  if (spawnSync('wrk', ['--version']).error) {
    console.error('bench oca: wrk is not installed (apt-get install wrk); nothing measured')
    process.exitCode = 1
    return
  }
  const dir = await mkdtemp(join(tmpdir(), 'oclab-bench-oca-'))
  const children: ChildProcess[] = []
  try {
    // nginx started as root serves from unprivileged workers: they must be able to read the (random, public) files.
    await chmod(dir, 0o755)
    const store = join(dir, 'store')
    await mkdir(join(store, 'titles', TITLE), { recursive: true })
    for (const s of SIZES) await writeFile(join(store, 'titles', TITLE, `seg-${s.name}.m4s`), randomBytes(s.bytes))
    // Written before the OCA starts: it learns its store by scanning it.
    for (let i = 0; i < CHURN_OBJECTS; i++) await writeFile(join(store, churnPath(i).slice(1)), randomBytes(CHURN_BYTES))
    const churnScript = join(dir, 'churn.lua')
    await writeFile(churnScript, CHURN_SCRIPT)
    const repo = fileURLToPath(new URL('..', import.meta.url))
    const servers: { name: string; base: string; pid: number }[] = []

    // OCA: the real CLI, hot tier large enough for both files.
    const ocaPort = await freePort()
    const config = await writeLoneOca(dir, { id: 'bench', port: ocaPort, storeDir: store, memoryBytes: HOT_TIER_BYTES, adminToken: ADMIN })
    const oca = spawn(process.execPath, [join(repo, 'bin/oclab.js'), 'oca', '--config', config, '--id', 'bench', '--log-level', 'warn', '--drain-delay', '0'], {
      stdio: 'inherit',
    })
    children.push(oca)
    await waitFor(`http://127.0.0.1:${ocaPort}/health`, oca, 'oca')
    const ocaStartRss = await rssBytes(oca.pid!)
    servers.push({ name: 'OCA (hot tier)', base: `http://127.0.0.1:${ocaPort}`, pid: oca.pid! })

    // nginx with a config of its own in the temp dir.
    const nginxBin = '/usr/sbin/nginx'
    if (spawnSync(nginxBin, ['-v']).error) {
      console.error('bench oca: nginx not installed (apt-get install nginx); its row is skipped')
    } else {
      const nginxPort = await freePort()
      const prefix = join(dir, 'nginx')
      await mkdir(join(prefix, 'logs'), { recursive: true })
      const conf = `daemon off;
worker_processes ${nginxWorkers};
pid ${prefix}/nginx.pid;
error_log ${prefix}/logs/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${prefix}/tmp-body;
  proxy_temp_path ${prefix}/tmp-proxy;
  fastcgi_temp_path ${prefix}/tmp-fcgi;
  uwsgi_temp_path ${prefix}/tmp-uwsgi;
  scgi_temp_path ${prefix}/tmp-scgi;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 100000;
  open_file_cache max=1000 inactive=60s;
  types { video/iso.segment m4s; }
  server {
    listen 127.0.0.1:${nginxPort};
    root ${store};
  }
}
`
      await writeFile(join(prefix, 'nginx.conf'), conf)
      const nginx = spawn(nginxBin, ['-c', join(prefix, 'nginx.conf'), '-p', prefix], { stdio: 'inherit' })
      children.push(nginx)
      await waitFor(`http://127.0.0.1:${nginxPort}/titles/${TITLE}/seg-1MB.m4s`, nginx, 'nginx')
      servers.push({ name: `nginx (${nginxWorkers} worker)`, base: `http://127.0.0.1:${nginxPort}`, pid: nginx.pid! })
    }

    // Plain @fastify/static: this file again, as a child.
    const fsPort = await freePort()
    const fsChild = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url)], {
      stdio: 'inherit',
      cwd: repo,
      env: { ...process.env, OCLAB_BENCH_SERVE: 'fastify-static', OCLAB_BENCH_ROOT: store, OCLAB_BENCH_PORT: String(fsPort) },
    })
    children.push(fsChild)
    await waitFor(`http://127.0.0.1:${fsPort}/titles/${TITLE}/seg-1MB.m4s`, fsChild, '@fastify/static')
    servers.push({ name: '@fastify/static', base: `http://127.0.0.1:${fsPort}`, pid: fsChild.pid! })

    header(
      `bench oca: wrk -t${load.threads} -c${load.connections} -d${load.duration} --latency, loopback, ${rounds} rounds with the servers' order rotated each round; MB = 10^6 body bytes; CPU = user+system seconds of the server process tree (/proc)`,
    )
    const pidOf = new Map(servers.map((s) => [s.name, s.pid]))
    let dirty = false
    /** One case (a URL, or the churn script) for every server in `cases`, interleaved over the rounds; prints rounds, medians and OCA ratios. */
    const measure = async (label: string, path: string, bodyBytes: number, cases: typeof servers, o: typeof load & { script?: string }) => {
      const results = await interleave(rounds, cases, async (name, round) => {
        const s = cases.find((x) => x.name === name)!
        const cpu0 = cpuSecondsTree(pidOf.get(name)!)
        const r = parseWrk(await wrk(`${s.base}${path}`, o), bodyBytes)
        const cpu = cpuSecondsTree(pidOf.get(name)!) - cpu0
        const cpuPerGB = cpu / ((r.good * bodyBytes) / 1e9)
        console.log(
          `  round ${round + 1} ${label.padEnd(5)} ${name.padEnd(20)} ${fmt(r.rps).padStart(6)} good req/s ${fmt(r.mbps).padStart(6)} MB/s  p50 ${fmt(r.p50ms, 1).padStart(6)} ms  p99 ${fmt(r.p99ms, 1).padStart(6)} ms  CPU ${fmt(cpu, 2)} s = ${fmt(cpuPerGB, 2)} CPU-s/GB${r.errors ? `  (${r.errors})` : ''}`,
        )
        dirty =
          failIfDirty(`${label} ${name} round ${round + 1}`, { errors: r.socketErrors + (r.requests - r.non2xx - r.good), shed: r.non2xx, detail: r.errors }) ||
          dirty
        return { ...r, cpu, cpuPerGB }
      })
      const oca = results.get(cases[0]!.name)!
      const ratio = (other: typeof oca, of: (r: (typeof oca)[number]) => number) => fmtSpread(ratioSpread(oca, other, of))
      console.log(`${label} medians over ${rounds} rounds:`)
      for (const s of cases) {
        const rs = results.get(s.name)!
        console.log(
          `  ${s.name.padEnd(20)} ${fmtSpread(spread(rs.map((r) => r.mbps)), 0, ' MB/s')}; CPU ${fmtSpread(spread(rs.map((r) => r.cpuPerGB)), 2, ' s/GB')}; p99 ${fmtSpread(spread(rs.map((r) => r.p99ms)), 1, ' ms')}`,
        )
      }
      for (const s of cases.slice(1)) {
        const other = results.get(s.name)!
        console.log(
          `  OCA / ${s.name}: MB/s ${ratio(other, (r) => r.mbps)}; CPU per GB ${ratio(other, (r) => r.cpuPerGB)}; p99 ${ratio(other, (r) => r.p99ms)}`,
        )
      }
    }

    for (const size of SIZES) {
      const path = `/titles/${TITLE}/seg-${size.name}.m4s`
      for (const s of servers) await getOnce(`${s.base}${path}`) // warm: the OCA promotes to its hot tier on the first hit
      await measure(size.name, path, size.bytes, servers, load)
    }

    // Churn (OCA and nginx): the OCA's RSS is sampled all along, against the bound its configuration promises.
    const churn = servers.filter((s) => !s.name.startsWith('@fastify'))
    const churnLoad = { ...load, connections: churnConnections, script: churnScript }
    console.log(
      `\nchurn: ${CHURN_OBJECTS} distinct ${CHURN_BYTES / 1e6} MB objects in turn over a ${HOT_TIER_BYTES / MiB} MiB hot tier, ${churnConnections} connections`,
    )
    const answersByTier = async (): Promise<Record<string, number>> => {
      const text = await getOnce(`${servers[0]!.base}/metrics`)
      const by: Record<string, number> = {}
      for (const m of text.matchAll(/^oca_requests_total\{[^}]*tier="(\w+)"[^}]*\} (\d+)/gm)) by[m[1]!] = (by[m[1]!] ?? 0) + Number(m[2])
      return by
    }
    const tiersBefore = await answersByTier()
    let peakRss = ocaStartRss
    const sampler = setInterval(() => {
      rssBytes(oca.pid!).then(
        (b) => (peakRss = Math.max(peakRss, b)),
        () => undefined,
      )
    }, 50)
    try {
      await measure('churn', churnPath(0), CHURN_BYTES, churn, churnLoad)
    } finally {
      clearInterval(sampler)
    }
    const tiersAfter = await answersByTier()
    const during = Object.fromEntries(Object.entries(tiersAfter).map(([k, n]) => [k, n - (tiersBefore[k] ?? 0)]))
    const answered = Object.values(during).reduce((a, b) => a + b, 0)
    console.log(
      `OCA answers during the churn by tier: ${Object.entries(during)
        .filter(([, n]) => n > 0)
        .map(([k, n]) => `${k} ${n} (${((100 * n) / answered).toFixed(0)}%)`)
        .join(', ')} (the hot tier holds ${Math.floor(HOT_TIER_BYTES / CHURN_BYTES)} of the ${CHURN_OBJECTS} objects)`,
    )
    const bound = ocaStartRss + HOT_TIER_BYTES + 64 * MiB
    console.log(
      `OCA RSS: ${fmt(ocaStartRss / MiB)} MiB at start, peak ${fmt(peakRss / MiB)} MiB during the churn; issue 21's bound (start + hot tier + 64 MiB) ${fmt(bound / MiB)} MiB: ${peakRss <= bound ? 'within' : 'OVER'}`,
    )
    footer()
    console.log(
      '\ntargets (issue 21): OCA CPU per GB ≤ 1.2× nginx on hot objects and ≤ 1.5× under churn, p99 ≤ 2× nginx at 64 connections, MB/s ≥ 1.0×, peak RSS within the bound; on a loaded host compare medians only, with their ranges',
    )
    if (dirty) console.error('bench oca: FAILED — some rounds had errors or shed requests (see above); do not quote these figures')
  } finally {
    for (const c of children) c.kill('SIGTERM')
    await Promise.all(children.map((c) => (c.exitCode !== null ? undefined : new Promise((r) => c.once('exit', r)))))
    await rm(dir, { recursive: true, force: true })
  }
}

async function serveFastifyStatic(root: string, port: number): Promise<void> {
  const { default: Fastify } = await import('fastify')
  const { default: fastifyStatic } = await import('@fastify/static')
  const app = Fastify({ logger: false })
  await app.register(fastifyStatic, { root, prefix: '/' })
  await app.listen({ host: '127.0.0.1', port })
  process.once('SIGTERM', () => void app.close().then(() => process.exit(0)))
}

if (process.env.OCLAB_BENCH_SERVE === 'fastify-static') {
  await serveFastifyStatic(process.env.OCLAB_BENCH_ROOT!, Number(process.env.OCLAB_BENCH_PORT))
}
