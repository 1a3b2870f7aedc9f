import type { FastifyServerOptions } from 'fastify'
import type { ClusterConfig } from '../lib/cluster.js'
import { parentUrl } from '../lib/cluster.js'
import { ErrorCodes, OclabError } from '../lib/errors.js'
import type { CachePolicy } from '../lib/http/content-type.js'
import type { EvictionPolicy } from './eviction.js'
import type { OverloadOptions } from './overload.js'

/** Everything an OCA node can be told. Defaults are in `DEFAULTS` and repeated on each field. */
export interface OcaServerOptions {
  /** node id, reported by /health */
  id: string
  site?: string
  /** disk store root; titles live in `<storeDir>/titles/<titleId>/…` */
  storeDir: string
  /** disk store capacity in bytes (the cluster file's capacityBytes) */
  capacityBytes: number
  /** hot tier bound in bytes; default 64 MiB; 0 disables the tier */
  memoryBytes?: number
  /** largest object the hot tier takes; default 16 MiB */
  maxMemoryEntryBytes?: number
  /** disk eviction policy; default 'lru' */
  evictionPolicy?: EvictionPolicy
  /** base URL of the parent (another OCA or the origin); without one a miss is 404 */
  parentUrl?: string
  /**
   * Where a miss fill goes when the parent fails before answering: the origin,
   * the parent of last resort, when the parent is another OCA. A dead peer
   * must not take its children's misses down with it.
   */
  fallbackParentUrl?: string
  /**
   * What a miss does; default 'fill'. 'fill': fetch from the parent while
   * streaming to the client (collapsed). 'redirect': 302 to the same object
   * at the parent. 'off': 404 (a pure pre-positioned node, as Open Connect
   * OCAs mostly are).
   */
  missMode?: 'fill' | 'redirect' | 'off'
  /** the cluster's shared admin token (Authorization: Bearer …) */
  adminToken: string
  /**
   * Signed playback URLs (lib/http/signed-url.ts). With a secret, `/t/<exp>/<sig>/titles/…`
   * is accepted; `required` (default true when a secret is given) refuses plain `/titles/…` with 403.
   */
  signing?: { secret: string; required?: boolean }
  /** Cache-Control ages; defaults: manifests 2 s, segments one year + immutable */
  cache?: CachePolicy
  fill?: {
    /** parallel downloads per pre-position fill; default 4 */
    concurrency?: number
    /** attempts per file (checksum mismatch, parent error); default 3 */
    attempts?: number
    /** delay before retry n is n × this; default 200 ms */
    retryDelayMs?: number
    /** parent response headers deadline (then 504); default 10 000 ms */
    headersTimeoutMs?: number
    /** longest pause between body bytes from the parent (then 504/abort); default 30 000 ms */
    bodyTimeoutMs?: number
    /** connections kept per parent; default 32 */
    connections?: number
  }
  /**
   * Load shedding thresholds. `maxRssBytes` defaults to `defaultMaxRssBytes()`
   * of the hot tier and in-flight budget (the RSS guard is on by default).
   */
  overload?: OverloadOptions
  limits?: {
    /** admin request body limit; default 8 MiB (a fill list of a long title) */
    bodyLimitBytes?: number
    /** request header limit; default 16 KiB */
    maxHeaderBytes?: number
    /** whole-request deadline for slow clients; default 120 000 ms */
    requestTimeoutMs?: number
    /**
     * bytes answers in flight may hold in memory (oca/in-flight-budget.ts);
     * beyond it title requests get 503 + Retry-After; default 64 MiB
     */
    inFlightBytes?: number
  }
  /** time between "draining" showing in /health and the listener closing; default 0 */
  drainDelayMs?: number
  /** called once a drain has finished every in-flight response and closed the server */
  onDrained?: () => void
  /** fastify/pino logger; default off. The CLI passes `{ level: 'info' }`. */
  logger?: FastifyServerOptions['logger']
}

export const DEFAULTS = {
  memoryBytes: 64 * 1024 * 1024,
  maxMemoryEntryBytes: 16 * 1024 * 1024,
  evictionPolicy: 'lru' as EvictionPolicy,
  missMode: 'fill' as const,
  fill: { concurrency: 4, attempts: 3, retryDelayMs: 200, headersTimeoutMs: 10_000, bodyTimeoutMs: 30_000, connections: 32 },
  limits: { bodyLimitBytes: 8 * 1024 * 1024, maxHeaderBytes: 16 * 1024, requestTimeoutMs: 120_000, inFlightBytes: 64 * 1024 * 1024 },
  drainDelayMs: 0,
}

/**
 * What a node holds besides its hot tier and in-flight answers: the runtime,
 * code, V8 heap of bookkeeping (indexes, metrics, sockets) and allocator
 * slack. Measured idle RSS of `oclab oca` is 110–125 MB; the margin covers
 * heap growth between collections.
 */
export const RSS_OVERHEAD_BYTES = 256 * 1024 * 1024

/**
 * The RSS guard's default: memory is bounded by configuration (hot tier +
 * in-flight budget + fixed overhead), so an RSS above that sum means
 * something outside the model grew, and the node sheds load (503, `overloaded`
 * in /health) rather than being killed by the OOM killer.
 */
export function defaultMaxRssBytes(memoryBytes: number, inFlightBytes: number): number {
  return memoryBytes + inFlightBytes + RSS_OVERHEAD_BYTES
}

export type ResolvedOcaOptions = Omit<OcaServerOptions, 'fill' | 'limits'> &
  Required<Pick<OcaServerOptions, 'memoryBytes' | 'maxMemoryEntryBytes' | 'evictionPolicy' | 'missMode' | 'drainDelayMs'>> & {
    fill: typeof DEFAULTS.fill
    limits: typeof DEFAULTS.limits
  }

const defined = <T extends object>(o: T | undefined): Partial<T> => Object.fromEntries(Object.entries(o ?? {}).filter(([, v]) => v !== undefined)) as Partial<T>

export function resolveOptions(o: OcaServerOptions): ResolvedOcaOptions {
  const memoryBytes = o.memoryBytes ?? DEFAULTS.memoryBytes
  const limits = { ...DEFAULTS.limits, ...defined(o.limits) }
  return {
    ...o,
    memoryBytes,
    maxMemoryEntryBytes: o.maxMemoryEntryBytes ?? DEFAULTS.maxMemoryEntryBytes,
    evictionPolicy: o.evictionPolicy ?? DEFAULTS.evictionPolicy,
    missMode: o.missMode ?? DEFAULTS.missMode,
    drainDelayMs: o.drainDelayMs ?? DEFAULTS.drainDelayMs,
    fill: { ...DEFAULTS.fill, ...defined(o.fill) },
    limits,
    overload: { maxRssBytes: defaultMaxRssBytes(memoryBytes, limits.inFlightBytes), ...defined(o.overload) },
  }
}

/** Options for OCA `id` of a cluster file; `storeDir` overrides the file's (default `./store/<id>`). */
export function ocaOptionsFromCluster(cluster: ClusterConfig, id: string, extra: Partial<OcaServerOptions> = {}): OcaServerOptions {
  const oca = cluster.ocas.find((o) => o.id === id)
  if (!oca) throw new OclabError(ErrorCodes.BAD_CONFIG, `no OCA "${id}" in the cluster file (have: ${cluster.ocas.map((o) => o.id).join(', ')})`)
  return {
    id: oca.id,
    site: oca.site,
    storeDir: oca.storeDir ?? `store/${oca.id}`,
    capacityBytes: oca.capacityBytes,
    memoryBytes: oca.memoryBytes,
    parentUrl: parentUrl(cluster, oca),
    ...(oca.parent && oca.parent !== 'origin' ? { fallbackParentUrl: cluster.origin.url } : {}),
    adminToken: cluster.adminToken,
    signing: cluster.signing ? { secret: cluster.signing.secret } : undefined,
    ...extra,
  }
}
