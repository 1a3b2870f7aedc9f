import { request } from 'undici'
import type { ClusterConfig } from '../lib/cluster.js'
import { type CatalogEntry, OriginClient } from '../origin/index.js'

/**
 * What the console shows of a cluster: the OCAs grouped by region and site
 * (the cluster file's layout) with the state steering judged from its health
 * polls, plus the origin's catalog. Built from two services that can each be
 * down: a missing answer is marked, never turned into an error of the whole
 * view, because a cluster in trouble is exactly what the page must still show.
 */

/** One entry of steering's `GET /ocas` (steering/fleet-routes.ts), the fields the console uses. */
export interface SteeringOca {
  id: string
  state: string
  reason: string
  loadBps: number
  capacityBps: number | null
  titles: string[]
}

/** One entry of the origin's `GET /catalog` (origin/api.ts), the fields the console uses. */
export type CatalogTitle = Pick<CatalogEntry, 'id' | 'duration' | 'bytes' | 'placedOn'>

export interface OcaView {
  id: string
  url: string
  site: string
  region: string
  /** steering's verdict (up | suspect | down), or `unknown` while steering does not answer */
  state: string
  reason: string
  loadBps: number | null
  capacityBps: number | null
  titles: string[]
}

export interface SourceStatus {
  ok: boolean
  error?: string
}

export interface ClusterView {
  at: string
  /** true when steering or the origin did not answer: some fields are unknown */
  partial: boolean
  steering: SourceStatus & { url: string }
  origin: SourceStatus & { url: string }
  regions: Array<{ region: string; sites: Array<{ site: string; ocas: OcaView[] }> }>
  titles: CatalogTitle[]
}

type Answer<T> = { ok: true; value: T } | { ok: false; error: string }

/** Pure: the view from the cluster file and whatever the two services said. */
export function clusterView(cluster: ClusterConfig, ocas: Answer<SteeringOca[]>, catalog: Answer<CatalogTitle[]>, at: Date): ClusterView {
  const polled = new Map(ocas.ok ? ocas.value.map((o) => [o.id, o]) : [])
  const regions = new Map<string, Map<string, OcaView[]>>()
  for (const c of cluster.ocas) {
    const p = polled.get(c.id)
    const view: OcaView = {
      id: c.id,
      url: c.url,
      site: c.site,
      region: c.region,
      state: p?.state ?? 'unknown',
      reason: p?.reason ?? (ocas.ok ? 'not known to steering' : 'steering unreachable'),
      loadBps: p ? p.loadBps : null,
      capacityBps: p?.capacityBps ?? c.bandwidthBps ?? null,
      titles: p?.titles ?? [],
    }
    const sites = regions.get(c.region) ?? regions.set(c.region, new Map()).get(c.region)!
    ;(sites.get(c.site) ?? sites.set(c.site, []).get(c.site)!).push(view)
  }
  const status = (a: Answer<unknown>, url: string) => (a.ok ? { ok: true, url } : { ok: false, url, error: a.error })
  return {
    at: at.toISOString(),
    partial: !ocas.ok || !catalog.ok,
    steering: status(ocas, cluster.steering.url),
    origin: status(catalog, cluster.origin.url),
    regions: [...regions].map(([region, sites]) => ({ region, sites: [...sites].map(([site, list]) => ({ site, ocas: list })) })),
    titles: catalog.ok ? catalog.value.map(({ id, duration, bytes, placedOn }) => ({ id, duration, bytes, placedOn })) : [],
  }
}

async function getJson<T>(url: string, timeoutMs: number): Promise<Answer<T>> {
  try {
    const res = await request(url, { headersTimeout: timeoutMs, bodyTimeout: timeoutMs, signal: AbortSignal.timeout(timeoutMs) })
    if (res.statusCode !== 200) {
      await res.body.dump()
      return { ok: false, error: `HTTP ${res.statusCode}` }
    }
    return { ok: true, value: (await res.body.json()) as T }
  } catch (err) {
    return { ok: false, error: (err as Error).message || String(err) }
  }
}

/** Ask steering and the origin at the same time, each with its own deadline. */
export async function fetchClusterView(cluster: ClusterConfig, timeoutMs: number): Promise<ClusterView> {
  const [ocas, catalog] = await Promise.all([
    getJson<{ ocas: SteeringOca[] }>(`${cluster.steering.url}/ocas`, timeoutMs),
    new OriginClient(cluster.origin.url, undefined, { timeoutMs }).catalog().then(
      (value) => ({ ok: true as const, value }),
      (err: Error) => ({ ok: false as const, error: err.message }),
    ),
  ])
  return clusterView(
    cluster,
    ocas.ok ? { ok: true, value: ocas.value.ocas } : ocas,
    catalog.ok ? { ok: true, value: catalog.value.titles } : catalog,
    new Date(),
  )
}
