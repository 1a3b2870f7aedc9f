import type { IncomingMessage } from 'node:http'
import type { FastifyRequest } from 'fastify'
import { LRUCache } from 'lru-cache'
import { type ErrorCode, ErrorCodes } from '../lib/errors.js'
import { signedTitlePrefix } from '../lib/http/signed-url.js'
import { TokenBucket } from '../lib/token-bucket.js'
import { type ClientAddress, clientAddress, forwardedForOf, TrustedProxies } from './client-ip.js'
import { type ClientLocation, locateClient } from './client-location.js'
import { HealthChecker } from './health-checker.js'
import { ManifestSource } from './manifest-source.js'
import type { ResolvedSteeringOptions } from './options.js'
import { type Ranked, rankOcas } from './policy.js'
import { OcaRegistry } from './registry.js'
import { TitleCatalog } from './title-catalog.js'

/**
 * The steering service's state and the steps every route shares: who the
 * client is and where, the ranking for a title, and the (signed) base URL of
 * a title on an OCA. Routes only parse, call these and format.
 */
export interface Client {
  address: ClientAddress
  location: ClientLocation
  /** the client gave its own coordinates (they, not its site's, are the distance origin) */
  pointGiven: boolean
}

/** Why a title cannot be steered, as a route answers it: never with an internal address in it. */
export interface Refusal {
  status: 404 | 503
  body: { error: string; code: ErrorCode }
}

/** Signed tokens expire on whole minutes, so one token (and one HMAC) serves every client of a title in that minute. */
const EXPIRY_STEP_S = 60

export class Steerer {
  readonly registry: OcaRegistry
  readonly checker: HealthChecker
  readonly manifests: ManifestSource
  readonly gate: TokenBucket
  readonly catalog: TitleCatalog
  private readonly trusted: TrustedProxies
  private readonly prefixes = new LRUCache<string, string>({ max: 10_000 })
  constructor(
    readonly opts: ResolvedSteeringOptions,
    log: { info: (o: object, m: string) => void },
  ) {
    this.registry = new OcaRegistry(opts.cluster.ocas, opts.fillOnMiss, opts.policy.spillAt)
    this.checker = new HealthChecker(this.registry, opts.health, (id, from, to, reason) => log.info({ oca: id, from, to, reason }, 'OCA state changed'))
    this.manifests = new ManifestSource({ cacheMs: opts.manifestCacheMs, timeoutMs: opts.manifestTimeoutMs })
    // policing whole requests: a burst under one would never admit any
    if (!(opts.steeringRate.burst >= 1)) throw new RangeError(`steering rate burst ${opts.steeringRate.burst} must be at least one request`)
    this.gate = new TokenBucket(opts.steeringRate.perSecond, opts.steeringRate.burst, Date.now())
    this.trusted = new TrustedProxies(opts.trustedProxies)
    this.catalog = new TitleCatalog({
      originUrl: opts.cluster.origin.url,
      refreshMs: opts.catalogRefreshMs,
      timeoutMs: opts.manifestTimeoutMs,
      onError: (m) => log.info({}, m),
    })
  }

  /**
   * Whether a ranking with no holder in it may be answered: a title some OCA
   * holds (even one that is down) or the origin's catalog lists exists, and
   * OCAs that fill on a miss can serve it; any other is refused, 404 when the
   * catalog says it does not exist, 503 when the catalog cannot be read.
   * Called only for rankings without a holder, so the common answer costs nothing.
   */
  async refuseUnheld(title: string, ranked: readonly Ranked[]): Promise<Refusal | null> {
    if (ranked.some((r) => r.holds) || this.registry.views.some((v) => v.holds(title))) return null
    const listed = await this.catalog.has(title)
    if (listed === false) return { status: 404, body: { error: `unknown title ${title}`, code: ErrorCodes.UNKNOWN_TITLE } }
    if (listed === null)
      return {
        status: 503,
        body: { error: `no healthy OCA can serve title ${title}: none holds it and the origin's catalog cannot be read`, code: ErrorCodes.PARENT_FAILED },
      }
    return null
  }

  client(req: FastifyRequest, point?: { lat: number; lon: number }): Client {
    return this.clientOf(req.raw, point)
  }

  /** The client of a request as Node hands it over (steer-fast-path.ts answers before Fastify wraps it). */
  clientOf(req: IncomingMessage, point?: { lat: number; lon: number }): Client {
    const address = clientAddress(req.socket.remoteAddress, forwardedForOf(req.rawHeaders), this.trusted)
    const location = locateClient({ ip: address.ip, point }, this.registry.zones, this.registry.sites, this.opts.cluster.defaultSite)
    return { address, location, pointGiven: point !== undefined }
  }

  /** The ranking for a title; `limit` caps it (default: the configured maxCandidates). */
  rank(title: string, client: Client, hints: { clientBps?: number; current?: string } = {}, limit = this.opts.maxCandidates): Ranked[] {
    const views = this.registry.views
    return rankOcas(
      { title, client: client.location, ocas: views, fleet: this.registry.fleet, clientBps: hints.clientBps, current: hints.current },
      this.opts.policy,
      limit,
    )
  }

  /** Expiry (Unix s) for tokens issued now; undefined when the cluster does not sign URLs. */
  expiry(nowMs = Date.now()): number | undefined {
    const s = this.opts.cluster.signing
    if (!s) return undefined
    return Math.ceil((nowMs / 1000 + s.ttlSeconds) / EXPIRY_STEP_S) * EXPIRY_STEP_S
  }

  /** `/t/<exp>/<sig>/titles/<id>/` (or `/titles/<id>/` unsigned): append to an OCA's URL for the title's directory. */
  titlePrefix(title: string, exp: number | undefined): string {
    const s = this.opts.cluster.signing
    if (!s || exp === undefined) return `/titles/${title}/`
    const key = `${title}\n${exp}`
    let prefix = this.prefixes.get(key)
    if (!prefix) {
      prefix = signedTitlePrefix(s.secret, title, exp)
      this.prefixes.set(key, prefix)
    }
    return prefix
  }

  /** The title's directory on an OCA, ending in `/`. */
  base(ocaUrl: string, title: string, exp: number | undefined): string {
    return ocaUrl + this.titlePrefix(title, exp)
  }

  originBase(title: string): string {
    return `${this.opts.cluster.origin.url.replace(/\/+$/, '')}/titles/${title}/`
  }

  async close(): Promise<void> {
    await this.checker.stop()
    await this.manifests.close()
  }
}
