import { setTimeout as sleep } from 'node:timers/promises'
import type { ClusterConfig } from '../lib/cluster.js'
import type { FillProgress } from '../oca/index.js'
import { OcaClient } from '../oca/index.js'
import type { PrepositionReport, SiteReport } from './api.js'
import { planCluster, wantedFiles } from './cluster-plan.js'
import type { DeviceMix } from './codec-demand.js'
import { diffPlacement, type FillTask, type OcaHoldings } from './fill-plan.js'
import type { MasterStore } from './master-store.js'
import { type FillWindow, insideWindow, type PopularityModel } from './popularity.js'

/**
 * One pre-position run (`oclab origin preposition`, `POST /admin/preposition`):
 * plan (per OCA the chosen renditions of each title, of whichever codecs, with
 * the title's shared audio, subtitles and manifests), ask every OCA what it
 * holds, send only what is missing (from a peer
 * of the region when one has it, else from the origin), with a bounded
 * number of fills per site and a total bandwidth cap, poll the fills, check
 * the result against the OCA's own listing, then purge what the plan dropped.
 * An OCA that cannot be asked is skipped and reported; the others proceed.
 */
export interface PrepositionOptions {
  cluster: ClusterConfig
  store: MasterStore
  model: PopularityModel
  /** where OCAs fetch from the origin; default the cluster file's origin URL */
  originUrl?: string
  /** only report what would be done */
  dryRun?: boolean
  /** run outside the fill window */
  force?: boolean
  /** overrides the model's fill window */
  window?: FillWindow
  now?: Date
  /** fills running at once per site (OCAs sharing a `site` share the bound); default 2 */
  concurrencyPerSite?: number
  /** cap on all fills together, bytes/s; split evenly over the fills that can run at once; default none */
  bandwidthBytesPerSec?: number
  /** share of each OCA's capacity left out of the plan for fill on miss; default DEFAULT_REACTIVE_SHARE (planner.ts) */
  reactiveShare?: number
  /** which codecs clients prefer, for titles with several; default DEFAULT_DEVICE_MIX (codec-demand.ts) */
  devices?: DeviceMix
  /** between progress polls; default 200 ms */
  pollMs?: number
  /** deadline of each admin call; default 5000 ms */
  requestTimeoutMs?: number
  onEvent?: (e: PrepositionEvent) => void
}

export type PrepositionEvent =
  | { kind: 'down'; oca: string; error: string }
  | { kind: 'fill-start'; oca: string; titleId: string; bytes: number; from: string }
  | { kind: 'fill-progress'; bytesDone: number; bytesTotal: number; fillsDone: number; fillsTotal: number }
  | { kind: 'fill-end'; oca: string; titleId: string; status: string; bytes: number }
  | { kind: 'evict'; oca: string; titleId: string; bytes: number }

// The report's shape is part of the origin's HTTP API (GET /admin/prepositions/:id), so it is declared there.
export type { PrepositionReport, SiteReport }

class Semaphore {
  private free: number
  private readonly waiting: (() => void)[] = []
  constructor(n: number) {
    this.free = n
  }
  async acquire(): Promise<() => void> {
    if (this.free > 0) this.free--
    else await new Promise<void>((r) => this.waiting.push(r))
    return () => {
      const next = this.waiting.shift()
      if (next) next()
      else this.free++
    }
  }
}

export async function preposition(o: PrepositionOptions): Promise<PrepositionReport> {
  const startedAt = new Date().toISOString()
  const cluster = o.cluster
  await o.store.refresh()
  const titles = o.store.titles()
  const plan = planCluster(titles, cluster, o.model, {
    ...(o.reactiveShare !== undefined ? { reactiveShare: o.reactiveShare } : {}),
    ...(o.devices ? { devices: o.devices } : {}),
  })
  const wanted = wantedFiles(plan, titles)
  const planSummary = { servedBytes: plan.servedBytes, boundBytes: plan.boundBytes, demandBytes: plan.demandBytes, ratioToBound: plan.ratioToBound }
  const emit = o.onEvent ?? (() => undefined)
  const clients = new Map(cluster.ocas.map((c) => [c.id, new OcaClient(c.url, cluster.adminToken, { timeoutMs: o.requestTimeoutMs ?? 5000 })]))

  const errors = new Map<string, string>()
  const holdings: OcaHoldings[] = await Promise.all(
    cluster.ocas.map(async (c) => {
      try {
        return { id: c.id, region: c.region, titles: await clients.get(c.id)!.titles() }
      } catch (err) {
        errors.set(c.id, (err as Error).message)
        emit({ kind: 'down', oca: c.id, error: (err as Error).message })
        return { id: c.id, region: c.region }
      }
    }),
  )
  const { work, tasks } = diffPlacement(wanted, holdings)
  const reports = new Map<string, SiteReport>(
    cluster.ocas.map((c) => {
      const w = work.find((x) => x.oca === c.id)!
      const sp = plan.sites.find((s) => s.site === c.id)!
      const toFill = w.fills.reduce((a, f) => a + f.bytes, 0)
      return [
        c.id,
        {
          oca: c.id,
          site: c.site,
          region: c.region,
          status: w.up ? 'ok' : 'down',
          ...(w.up ? {} : { error: errors.get(c.id) }),
          titlesPlanned: sp.titles.length,
          bytesPlanned: sp.usedBytes,
          bytesToFill: toFill,
          bytesFilled: 0,
          bytesVerified: 0,
          bytesFailed: 0,
          bytesFromPeers: 0,
          bytesFromOrigin: 0,
          titlesInPlace: w.inPlace.length,
          failures: [],
          evicted: [],
          bytesEvicted: 0,
        } satisfies SiteReport,
      ]
    }),
  )
  const placementOf = (): Record<string, string[]> => Object.fromEntries(holdings.filter((h) => h.titles).map((h) => [h.id, h.titles!.map((t) => t.id).sort()]))
  const finish = (skipped?: string): PrepositionReport => ({
    startedAt,
    finishedAt: new Date().toISOString(),
    dryRun: o.dryRun === true,
    ...(skipped ? { skipped } : {}),
    plan: planSummary,
    sites: [...reports.values()],
    placement: placementOf(),
  })

  if (o.dryRun) return finish()
  const window = o.window ?? o.model.fillWindow
  if (!o.force && !insideWindow(window, o.now ?? new Date()))
    return finish(`outside the fill window ${window!.startHour}-${window!.endHour} UTC (force to run anyway)`)

  const originUrl = o.originUrl ?? cluster.origin.url
  const perSite = o.concurrencyPerSite ?? 2
  const sites = new Map<string, Semaphore>()
  for (const c of cluster.ocas) if (!sites.has(c.site)) sites.set(c.site, new Semaphore(perSite))
  const upSites = new Set(cluster.ocas.filter((c) => reports.get(c.id)!.status === 'ok').map((c) => c.site))
  const perFillCap = o.bandwidthBytesPerSec
    ? Math.max(1024, Math.floor(o.bandwidthBytesPerSec / Math.max(1, Math.min(tasks.length, upSites.size * perSite))))
    : undefined
  const siteOf = new Map(cluster.ocas.map((c) => [c.id, c.site]))
  const urlOf = new Map(cluster.ocas.map((c) => [c.id, c.url]))
  const bytesTotal = tasks.reduce((a, t) => a + t.bytes, 0)
  const live = new Map<number, number>()
  let fillsDone = 0
  const progress = (): void =>
    emit({ kind: 'fill-progress', bytesDone: [...live.values()].reduce((a, b) => a + b, 0), bytesTotal, fillsDone, fillsTotal: tasks.length })

  const outcome = new Map<number, Promise<boolean>>()
  const runTask = async (t: FillTask): Promise<boolean> => {
    const report = reports.get(t.oca)!
    let parent = originUrl
    let fromPeer = false
    if (t.source.kind === 'peer') {
      const ready = t.source.afterFill === undefined || (await outcome.get(t.source.afterFill)!)
      if (ready) {
        parent = urlOf.get(t.source.oca)!
        fromPeer = true
      }
    }
    const release = await sites.get(siteOf.get(t.oca)!)!.acquire()
    const client = clients.get(t.oca)!
    emit({ kind: 'fill-start', oca: t.oca, titleId: t.titleId, bytes: t.bytes, from: fromPeer ? (t.source as { oca: string }).oca : 'origin' })
    let p: FillProgress | undefined
    try {
      p = await client.fill({ titleId: t.titleId, files: t.files, parent, pin: true, ...(perFillCap ? { bandwidthBytesPerSec: perFillCap } : {}) })
      while (p.status === 'running') {
        live.set(t.n, p.bytesFetched)
        progress()
        await sleep(o.pollMs ?? 200)
        p = await client.progress(p.id)
      }
    } catch (err) {
      report.failures.push({ titleId: t.titleId, path: '*', error: (err as Error).message })
    } finally {
      release()
    }
    const filled = p?.bytesFetched ?? 0
    live.set(t.n, filled)
    fillsDone++
    report.bytesFilled += filled
    report[fromPeer ? 'bytesFromPeers' : 'bytesFromOrigin'] += filled
    for (const e of p?.errors ?? []) report.failures.push({ titleId: t.titleId, path: e.path, error: e.error })
    const failedPaths = new Set((p?.errors ?? []).map((e) => e.path))
    report.bytesFailed += p ? t.files.filter((f) => failedPaths.has(f.path)).reduce((a, f) => a + f.bytes, 0) : t.bytes
    emit({ kind: 'fill-end', oca: t.oca, titleId: t.titleId, status: p?.status ?? 'failed', bytes: filled })
    progress()
    return p?.status === 'done'
  }
  for (const t of tasks) outcome.set(t.n, runTask(t))

  await Promise.all(
    work
      .filter((w) => w.up)
      .map(async (w) => {
        const report = reports.get(w.oca)!
        const client = clients.get(w.oca)!
        await Promise.all(w.fills.map((t) => outcome.get(t.n)!))
        try {
          for (const id of w.pin) await client.pin(id)
          // Verify against the node's own listing, then purge what the plan dropped (new content first, old out after).
          const after = new Map((await client.titles()).map((t) => [t.id, new Set(t.files.map((f) => `${f.path}\n${f.sha256}`))]))
          for (const t of w.fills) {
            const held = after.get(t.titleId)
            report.bytesVerified += t.files.filter((f) => held?.has(`${f.path}\n${f.sha256}`)).reduce((a, f) => a + f.bytes, 0)
          }
          for (const e of w.evict) {
            const freed = await client.purge(e.titleId)
            report.evicted.push(e.titleId)
            report.bytesEvicted += freed
            emit({ kind: 'evict', oca: w.oca, titleId: e.titleId, bytes: freed })
          }
          const h = holdings.find((x) => x.id === w.oca)!
          h.titles = await client.titles()
        } catch (err) {
          report.error = (err as Error).message
        }
        if (report.failures.length || report.error) report.status = 'failed'
      }),
  )
  return finish()
}
