import { readFile } from 'node:fs/promises'
import { dirname, isAbsolute, resolve } from 'node:path'
import { type ClusterConfig, readCluster, refuseExampleSecretsBeyondLoopback } from '../lib/cluster.js'
import { ErrorCodes, OclabError } from '../lib/errors.js'
// From its own module, not origin/index.js: the index loads the server and the store, which `--help` need not pay.
import {
  DEFAULT_DEVICE_MIX,
  DEFAULT_REACTIVE_SHARE,
  type DeviceMix,
  type PopularityModel,
  parseDeviceMix,
  parseFillWindow,
  readPopularity,
  zipfPopularity,
} from '../origin/config.js'
import type { PrepositionEvent, PrepositionReport } from '../origin/index.js'
import type { Command, OptionSpec, OptionValues } from './command.js'
import { numberOption, requiredString, stringOption, usageError } from './command.js'

/**
 * `oclab origin`: the master store and its pre-positioning.
 *
 *   oclab origin --config cluster.json [--store <dir>]          serve (parent of last resort, catalog, admin)
 *   oclab origin ingest <package-dir> --store <dir>             verify a package and take it in
 *   oclab origin preposition --config cluster.json [--dry-run]  plan and fill the OCAs
 *   oclab origin evaluate --config cluster.json                 edge hit ratio of the plan (as OCAs run it) vs the oracle and LRU
 */
const configOpt: OptionSpec = { type: 'string', arg: '<file>', help: 'the cluster file' }
const storeOpt: OptionSpec = { type: 'string', arg: '<dir>', help: "master store root (default: the cluster file's origin.storeDir, relative to the file)" }
const popularityOpts: Record<string, OptionSpec> = {
  popularity: { type: 'string', arg: '<file>', help: 'forecast file (title → expected plays per region); default: generated Zipf' },
  zipf: { type: 'string', arg: '<s>', default: '1', help: 'Zipf exponent of the generated forecast' },
  shuffle: { type: 'string', arg: '<sigma>', default: '0.5', help: 'how much regions differ in the generated forecast (log-rank noise)' },
  seed: { type: 'string', arg: '<n>', default: '1', help: 'seed of the generated forecast' },
}
const runOpts: Record<string, OptionSpec> = {
  window: { type: 'string', arg: '<HH-HH>', help: "fill window in UTC hours, e.g. 02-08 (default: the forecast file's, else any time)" },
  concurrency: { type: 'string', arg: '<n>', default: '2', help: 'fills at once per site' },
  bandwidth: { type: 'string', arg: '<MB/s>', help: 'total cap over all fills, in MB/s (default: none)' },
  reactive: {
    type: 'string',
    arg: '<0..1>',
    default: String(DEFAULT_REACTIVE_SHARE),
    help: "share of each OCA's capacity left out of the plan for fill on miss (bench -- placement)",
  },
  devices: {
    type: 'string',
    arg: '<mix>',
    default: Object.entries(DEFAULT_DEVICE_MIX)
      .map(([k, v]) => `${k}=${v}`)
      .join(','),
    help: 'share of plays by the newest codec the device decodes, for titles with several codecs (AV1 30%: Netflix, Dec 2025; the rest assumed)',
  },
}

function storeDirOf(values: OptionValues, configPath: string | undefined, cluster: ClusterConfig | undefined): string {
  const s = stringOption(values, 'store')
  if (s) return resolve(s)
  const fromFile = cluster?.origin.storeDir
  if (!fromFile || !configPath) throw usageError('--store is required (or origin.storeDir in the cluster file)')
  return isAbsolute(fromFile) ? fromFile : resolve(dirname(configPath), fromFile)
}

function popularityFrom(values: OptionValues, cluster: ClusterConfig): (titleIds: string[]) => Promise<PopularityModel> {
  const file = stringOption(values, 'popularity')
  const exponent = numberOption(values, 'zipf', { min: 0 }) ?? 1
  const regionalShuffle = numberOption(values, 'shuffle', { min: 0 }) ?? 0.5
  const seed = numberOption(values, 'seed', { integer: true, min: 0 }) ?? 1
  const window = stringOption(values, 'window')
  const fillWindow = window ? parseFillWindow(window) : undefined
  const regions = [...new Set(cluster.ocas.map((o) => o.region))]
  return async (titleIds) => {
    if (file) {
      const m = await readPopularity(file, titleIds)
      if (m.unknownTitles.length)
        console.error(
          `popularity: ${m.unknownTitles.length} title(s) not in the catalog ignored (${m.unknownTitles.slice(0, 5).join(', ')}${m.unknownTitles.length > 5 ? ', …' : ''})`,
        )
      return fillWindow ? { ...m, fillWindow } : m
    }
    return zipfPopularity({ titleIds, regions, exponent, regionalShuffle, seed, fillWindow })
  }
}

/** --reactive and --devices, shared by preposition, evaluate and the server. */
function placementKnobs(values: OptionValues): { reactiveShare: number; devices?: DeviceMix } {
  const devices = stringOption(values, 'devices')
  return {
    reactiveShare: numberOption(values, 'reactive', { min: 0, max: 0.99 }) ?? DEFAULT_REACTIVE_SHARE,
    ...(devices ? { devices: parseDeviceMix(devices) } : {}),
  }
}

function prepositionKnobs(values: OptionValues): {
  concurrencyPerSite: number
  bandwidthBytesPerSec?: number
  reactiveShare: number
  devices?: DeviceMix
  window?: ReturnType<typeof parseFillWindow>
} {
  const mbps = numberOption(values, 'bandwidth', { min: 0.001 })
  const window = stringOption(values, 'window')
  return {
    concurrencyPerSite: numberOption(values, 'concurrency', { min: 1, max: 64, integer: true }) ?? 2,
    ...(mbps ? { bandwidthBytesPerSec: Math.round(mbps * 1e6) } : {}),
    ...placementKnobs(values),
    ...(window ? { window: parseFillWindow(window) } : {}),
  }
}

const mb = (n: number): string => (n / 1e6).toFixed(n >= 1e7 ? 0 : 2)

export function formatReport(r: PrepositionReport): string {
  const head = [
    'oca',
    'site',
    'region',
    'status',
    'titles',
    'planned MB',
    'to fill MB',
    'filled MB',
    'verified MB',
    'failed MB',
    'peer MB',
    'origin MB',
    'evicted',
  ]
  const rows = r.sites.map((s) => [
    s.oca,
    s.site,
    s.region,
    s.status,
    String(s.titlesPlanned),
    mb(s.bytesPlanned),
    mb(s.bytesToFill),
    mb(s.bytesFilled),
    mb(s.bytesVerified),
    mb(s.bytesFailed),
    mb(s.bytesFromPeers),
    mb(s.bytesFromOrigin),
    String(s.evicted.length),
  ])
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)))
  const line = (cells: string[]): string => cells.map((c, i) => (i < 4 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')
  const out = [
    `${r.dryRun ? 'dry run: ' : ''}plan serves ${(100 * (r.plan.demandBytes ? r.plan.servedBytes / r.plan.demandBytes : 0)).toFixed(1)}% of expected bytes from the client's own site (${(100 * r.plan.ratioToBound).toFixed(1)}% of the fractional bound)`,
    ...(r.skipped ? [`nothing sent: ${r.skipped}`] : []),
    line(head),
    ...rows.map(line),
  ]
  for (const s of r.sites) {
    if (s.error) out.push(`${s.oca}: ${s.status === 'down' ? 'down, skipped' : 'error'}: ${s.error}`)
    for (const f of s.failures) out.push(`${s.oca}: ${f.titleId}/${f.path}: ${f.error}`)
  }
  return out.join('\n')
}

/** One line that rewrites itself on a terminal, plain lines otherwise (logs, CI). */
function progressPrinter(stream: NodeJS.WriteStream): { event: (e: PrepositionEvent) => void; done: () => void } {
  const tty = stream.isTTY === true
  let last = ''
  return {
    event: (e) => {
      if (e.kind === 'fill-progress') {
        if (!tty) return
        last = `\rfilling: ${e.fillsDone}/${e.fillsTotal} fills, ${mb(e.bytesDone)}/${mb(e.bytesTotal)} MB`
        stream.write(`${last}\x1b[K`)
        return
      }
      const text =
        e.kind === 'down'
          ? `${e.oca}: down, skipped (${e.error})`
          : e.kind === 'fill-start'
            ? `${e.oca}: fill ${e.titleId} (${mb(e.bytes)} MB) from ${e.from}`
            : e.kind === 'fill-end'
              ? `${e.oca}: fill ${e.titleId} ${e.status} (${mb(e.bytes)} MB)`
              : `${e.oca}: evicted ${e.titleId} (${mb(e.bytes)} MB)`
      stream.write(tty ? `\r${text}\x1b[K\n${last}` : `${text}\n`)
    },
    done: () => {
      if (tty && last) stream.write('\n')
    },
  }
}

const ingest: Command = {
  name: 'origin ingest',
  summary: "Verify a title package (title.json and every file's size and sha256) and take it into the master store, all or nothing.",
  usage: '<package-dir> --store <dir>',
  positionals: { min: 1, max: 1 },
  options: { store: storeOpt, config: configOpt },
  async run(values, [dir]) {
    const configPath = stringOption(values, 'config')
    const cluster = configPath ? await readCluster(configPath) : undefined
    const { ingestPackage } = await import('../origin/index.js')
    const r = await ingestPackage(resolve(dir!), storeDirOf(values, configPath, cluster))
    console.log(`${r.titleId}: ${r.outcome} (${r.files} files, ${mb(r.bytes)} MB)`)
    return 0
  },
}

const prepositionCmd: Command = {
  name: 'origin preposition',
  summary: 'Plan the placement, diff it against what each OCA holds and fill the OCAs (peers first, then the origin); report per OCA.',
  usage: '--config <cluster.json> [--store <dir>] [--dry-run] [options]',
  options: {
    config: configOpt,
    store: storeOpt,
    'dry-run': { type: 'boolean', help: 'only report what would be sent and evicted' },
    force: { type: 'boolean', help: 'fill even outside the fill window' },
    ...runOpts,
    ...popularityOpts,
    json: { type: 'boolean', help: 'print the report as JSON' },
  },
  async run(values) {
    const configPath = requiredString(values, 'config')
    const cluster = await readCluster(configPath)
    const storeDir = storeDirOf(values, configPath, cluster)
    const { MasterStore } = await import('../origin/index.js')
    const { prepositionAndRecord } = await import('../origin/index.js')
    const store = new MasterStore(storeDir)
    await store.refresh()
    const model = await popularityFrom(values, cluster)(store.titles().map((t) => t.title.id))
    const progress = progressPrinter(process.stderr)
    const report = await prepositionAndRecord({
      cluster,
      store,
      model,
      ...prepositionKnobs(values),
      dryRun: values['dry-run'] === true,
      force: values.force === true,
      onEvent: progress.event,
    })
    progress.done()
    console.log(values.json === true ? JSON.stringify(report, null, 2) : formatReport(report))
    return report.sites.some((s) => s.status !== 'ok') ? 1 : 0
  },
}

const evaluate: Command = {
  name: 'origin evaluate',
  summary:
    'Replay a request log against the plan as the OCAs run it (planned renditions pinned, misses filling the reserve): edge hit ratio (own site, region, origin) beside the oracle and plain LRU fill-on-miss.',
  usage: '--config <cluster.json> [--store <dir> | --synthetic <titles> [--synthetic-av1 <share>]] [--log <requests.jsonl> | --requests <n>] [options]',
  options: {
    config: configOpt,
    store: storeOpt,
    synthetic: { type: 'string', arg: '<titles>', help: 'plan a synthetic catalog of this many titles instead of the store' },
    'synthetic-av1': { type: 'string', arg: '<0..1>', default: '0', help: 'share of the synthetic titles that also carry an AV1 ladder' },
    log: {
      type: 'string',
      arg: '<file>',
      help: 'a request log, one JSON object per line: {"site": ocaId, "title": id, "rendition": id} (the rendition the client prefers)',
    },
    requests: {
      type: 'string',
      arg: '<n>',
      default: '200000',
      help: 'plays to sample from the forecast when no log is given (and as many to warm the caches)',
    },
    reactive: runOpts.reactive!,
    devices: runOpts.devices!,
    ...popularityOpts,
    json: { type: 'boolean', help: 'print the result as JSON' },
  },
  async run(values) {
    const configPath = requiredString(values, 'config')
    const cluster = await readCluster(configPath)
    const { clusterSites, demandInput, planPlacement, holdingsOf, oraclePlan, replayWithFill, sampleRequests, simulateLru, syntheticCatalog, MasterStore } =
      await import('../origin/index.js')
    const synthetic = numberOption(values, 'synthetic', { min: 1, integer: true })
    const av1Share = numberOption(values, 'synthetic-av1', { min: 0, max: 1 }) ?? 0
    const { reactiveShare, devices } = placementKnobs(values)
    let titles: ReturnType<typeof syntheticCatalog>
    if (synthetic) {
      titles = syntheticCatalog(synthetic, numberOption(values, 'seed', { integer: true, min: 0 }) ?? 1, { av1Share })
    } else {
      const store = new MasterStore(storeDirOf(values, configPath, cluster))
      await store.refresh()
      titles = store.titles().map((t) => t.sizes)
    }
    if (titles.length === 0) throw new OclabError(ErrorCodes.BAD_CONFIG, 'the catalog is empty: ingest titles or use --synthetic <n>')
    const model = await popularityFrom(values, cluster)(titles.map((t) => t.id))
    const input = demandInput(titles, clusterSites(cluster), model, devices ? { devices } : {})
    const plan = planPlacement(input, { reactiveShare })
    const seed = numberOption(values, 'seed', { integer: true, min: 0 }) ?? 1
    const logPath = stringOption(values, 'log')
    const count = numberOption(values, 'requests', { min: 1, integer: true }) ?? 200_000
    const log = logPath ? await readRequestLog(logPath, input) : sampleRequests(input, count, seed * 1000 + 1)
    // The day before, from the forecast: the OCAs' fill-on-miss regions (and LRU) start warm, as they would.
    const warm = sampleRequests(input, log.length, seed * 1000 + 2)
    const result = {
      requests: log.length,
      reactiveShare,
      plan: replayWithFill(input, warm, log, holdingsOf(input, plan)),
      oracle: replayWithFill(input, warm, log, holdingsOf(input, oraclePlan(input, log))),
      lru: simulateLru(input, warm, log),
      planRatioToBound: plan.ratioToBound,
    }
    if (values.json === true) {
      console.log(JSON.stringify(result, null, 2))
      return 0
    }
    const pct = (x: number): string => `${(100 * x).toFixed(1)}%`.padStart(7)
    console.log(
      `${result.requests} plays replayed (${logPath ?? 'sampled from the forecast'}); the plan leaves ${(100 * reactiveShare).toFixed(0)}% of each OCA to fill on miss; bytes served by:`,
    )
    console.log('placement     own site   region   origin   link bytes saved')
    for (const [name, r] of [
      ['plan', result.plan],
      ['oracle', result.oracle],
      ['LRU on miss', result.lru],
    ] as const)
      console.log(`${name.padEnd(12)}  ${pct(r.own)}  ${pct(r.region)}  ${pct(r.origin)}   ${mb(r.savedBytes).padStart(10)} MB`)
    console.log(
      `edge hit ratio: plan/oracle ${(result.plan.own / (result.oracle.own || 1)).toFixed(3)}, plan/LRU ${(result.plan.own / (result.lru.own || 1)).toFixed(3)}; link bytes saved: plan/oracle ${(result.plan.savedBytes / (result.oracle.savedBytes || 1)).toFixed(3)}, plan/LRU ${(result.plan.savedBytes / (result.lru.savedBytes || 1)).toFixed(3)}`,
    )
    return 0
  },
}

async function readRequestLog(path: string, input: import('../origin/index.js').PlanInput): Promise<import('../origin/index.js').RequestLog> {
  const text = await readFile(path, 'utf8').catch((err: Error) => {
    throw new OclabError(ErrorCodes.BAD_CONFIG, `cannot read request log ${path}: ${err.message}`)
  })
  const sites = new Map(input.sites.map((s, i) => [s.id, i]))
  const titles = new Map(input.titles.map((t, i) => [t.id, i]))
  const lines = text.split('\n').filter((l) => l.trim() !== '')
  const log = { site: new Uint16Array(lines.length), title: new Uint32Array(lines.length), rendition: new Uint16Array(lines.length), length: lines.length }
  lines.forEach((line, i) => {
    let e: { site?: unknown; title?: unknown; rendition?: unknown }
    try {
      e = JSON.parse(line) as typeof e
    } catch {
      throw new OclabError(ErrorCodes.BAD_CONFIG, `${path} line ${i + 1}: not JSON`)
    }
    const s = sites.get(String(e.site))
    const t = titles.get(String(e.title))
    const r = t === undefined ? -1 : input.titles[t]!.renditions.findIndex((x) => x.id === e.rendition)
    if (s === undefined || t === undefined || r < 0)
      throw new OclabError(ErrorCodes.BAD_CONFIG, `${path} line ${i + 1}: unknown site, title or rendition (${line.slice(0, 120)})`)
    log.site[i] = s
    log.title[i] = t
    log.rendition[i] = r
  })
  return log
}

export const command: Command = {
  name: 'origin',
  summary: 'Run the origin: the master store as the parent of last resort, GET /catalog, POST /admin/preposition.',
  usage: '--config <cluster.json> [--store <dir>] [options]',
  options: {
    config: configOpt,
    store: storeOpt,
    ...runOpts,
    ...popularityOpts,
    'log-level': { type: 'string', arg: '<level>', default: 'info', help: 'pino level' },
  },
  subcommands: { ingest, preposition: prepositionCmd, evaluate },
  async run(values) {
    const configPath = requiredString(values, 'config')
    const cluster = await readCluster(configPath)
    const storeDir = storeDirOf(values, configPath, cluster)
    const url = new URL(cluster.origin.url)
    if (url.protocol !== 'http:') throw usageError(`origin url ${url.href} must be http:// (put TLS in front)`)
    refuseExampleSecretsBeyondLoopback(cluster, url.hostname, 'origin')
    const { buildOriginServer } = await import('../origin/index.js')
    const { guardUnhandledRejections } = await import('../lib/process-guard.js')
    const level = stringOption(values, 'log-level') ?? 'info'
    const app = buildOriginServer({ storeDir, cluster, popularity: popularityFrom(values, cluster), preposition: prepositionKnobs(values), logger: { level } })
    let stopped!: () => void
    const done = new Promise<void>((r) => (stopped = r))
    const stop = (): void => void app.close().then(stopped)
    process.once('SIGTERM', stop)
    process.once('SIGINT', stop)
    // This process is the origin: a bug's stray rejection is logged and counted (/health unhandledRejections), not fatal.
    guardUnhandledRejections(app.log, () => app.origin.unhandledRejections++)
    await app.listen({ host: url.hostname, port: Number(url.port || 80) })
    app.log.info({ store: storeDir, titles: app.origin.store.titles().length }, 'origin ready')
    await done
    return 0
  },
}
