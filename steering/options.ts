import type { FastifyServerOptions } from 'fastify'
import type { ClusterConfig } from '../lib/cluster.js'
import type { HealthCheckOptions } from './health-checker.js'
import { HEALTH_DEFAULTS } from './health-state.js'
import { POLICY_DEFAULTS, type PolicyOptions } from './policy.js'

/** Everything the steering service can be told; defaults in STEERING_DEFAULTS. */
export interface SteeringServerOptions {
  cluster: ClusterConfig
  /** base URL clients reach this service at (SERVER-URI, RELOAD-URI); default cluster.steering.url */
  publicUrl?: string
  /**
   * Peers whose X-Forwarded-For is believed (CIDRs); default none: the
   * socket address is the client. A header from anyone else is ignored.
   */
  trustedProxies?: string[]
  health?: Partial<HealthCheckOptions>
  policy?: Partial<PolicyOptions>
  /** may an OCA without the title fill it on a miss (OCAs run with miss=fill); default true */
  fillOnMiss?: boolean
  /** TTL of steering manifests in seconds: bounds how late a player learns of a failure; default 10 */
  steeringTtlSeconds?: number
  /** most OCAs offered to a client: entries of /v1/steer, Pathways of a rewritten manifest; default 6 */
  maxCandidates?: number
  /** DASH ContentSteering@queryBeforeStart; default true (steer before the first segment) */
  queryBeforeStart?: boolean
  /** DASH ContentSteering@proxyServerURL, when a proxy fronts the steering server; default none */
  proxyServerUrl?: string
  /** how long a title's master playlist / MPD fetched from an OCA or the origin is reused; default 10 000 ms */
  manifestCacheMs?: number
  /** deadline for fetching a manifest from an OCA or the origin; default 3000 ms */
  manifestTimeoutMs?: number
  /** how old the origin's title catalog may be before a title no OCA holds makes steering read it again; default 1000 ms */
  catalogRefreshMs?: number
  /** steering-manifest admission: above this rate answer 429 + Retry-After; default 5000/s, burst 5000 */
  steeringRate?: { perSecond: number; burst?: number }
  /** a steering session whose signed URLs expired gets 410 (end of steering); default true */
  endExpiredSessions?: boolean
  /** start health polling when the server is ready; default true */
  startHealthChecks?: boolean
  logger?: FastifyServerOptions['logger']
}

export const STEERING_DEFAULTS = {
  health: { ...HEALTH_DEFAULTS, intervalMs: 1000, timeoutMs: 1000 } satisfies HealthCheckOptions,
  policy: POLICY_DEFAULTS,
  fillOnMiss: true,
  steeringTtlSeconds: 10,
  maxCandidates: 6,
  queryBeforeStart: true,
  manifestCacheMs: 10_000,
  manifestTimeoutMs: 3000,
  catalogRefreshMs: 1000,
  steeringRate: { perSecond: 5000, burst: 5000 },
  endExpiredSessions: true,
  startHealthChecks: true,
}

export type ResolvedSteeringOptions = Required<Omit<SteeringServerOptions, 'proxyServerUrl' | 'logger' | 'health' | 'policy' | 'steeringRate'>> &
  Pick<SteeringServerOptions, 'proxyServerUrl' | 'logger'> & {
    health: HealthCheckOptions
    policy: PolicyOptions
    steeringRate: { perSecond: number; burst: number }
  }

const defined = <T extends object>(o: T | undefined): Partial<T> => Object.fromEntries(Object.entries(o ?? {}).filter(([, v]) => v !== undefined)) as Partial<T>

export function resolveSteeringOptions(o: SteeringServerOptions): ResolvedSteeringOptions {
  const d = STEERING_DEFAULTS
  const rate = { ...d.steeringRate, ...defined(o.steeringRate) }
  return {
    ...o,
    publicUrl: (o.publicUrl ?? o.cluster.steering.url).replace(/\/+$/, ''),
    trustedProxies: o.trustedProxies ?? [],
    health: { ...d.health, ...defined(o.health) },
    policy: { ...d.policy, ...defined(o.policy) },
    fillOnMiss: o.fillOnMiss ?? d.fillOnMiss,
    steeringTtlSeconds: o.steeringTtlSeconds ?? d.steeringTtlSeconds,
    maxCandidates: o.maxCandidates ?? d.maxCandidates,
    queryBeforeStart: o.queryBeforeStart ?? d.queryBeforeStart,
    manifestCacheMs: o.manifestCacheMs ?? d.manifestCacheMs,
    manifestTimeoutMs: o.manifestTimeoutMs ?? d.manifestTimeoutMs,
    catalogRefreshMs: o.catalogRefreshMs ?? d.catalogRefreshMs,
    steeringRate: { perSecond: rate.perSecond, burst: rate.burst ?? rate.perSecond },
    endExpiredSessions: o.endExpiredSessions ?? d.endExpiredSessions,
    startHealthChecks: o.startHealthChecks ?? d.startHealthChecks,
  }
}
