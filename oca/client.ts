import { ApiClient, type ApiClientOptions } from '../lib/http/api-client.js'
import { parsePrometheus, sumOf } from '../lib/prometheus-text.js'
import { checks, type FillProgress, type FillRequest, type HeldTitle, type NodeStatus, type OcaHealth } from './api.js'

/**
 * The OCA's HTTP API as other processes call it (the origin's pre-position
 * runs, the load harness, tests): health and metrics, and the admin
 * endpoints behind the cluster token. Every answer is checked against the
 * schema in api.ts that the server types it with; a wrong shape is
 * OCLAB_ERR_BAD_RESPONSE, an error status or no answer within `timeoutMs`
 * OCLAB_ERR_UPSTREAM_FAILED (with the node's own reason when it gave one).
 */
export class OcaClient {
  private readonly api: ApiClient

  /** `token` is the cluster admin token (needed by the /admin/ calls only). */
  constructor(base: string, token?: string, opts: Omit<ApiClientOptions, 'token'> = {}) {
    this.api = new ApiClient('OCA', base, { ...opts, token })
  }

  get base(): string {
    return this.api.base
  }

  /** `GET /health`. A draining or overloaded node answers 503 with the same body: both are answers. */
  async health(): Promise<OcaHealth> {
    return this.api.expect(await this.api.call('GET', '/health'), checks.health, [200, 503])
  }

  /** `GET /metrics`: the Prometheus samples, `name{labels}` → value. */
  async metrics(): Promise<Map<string, number>> {
    const a = await this.api.call('GET', '/metrics')
    if (a.status !== 200) throw ApiClient.failed(a)
    return parsePrometheus(a.text)
  }

  /** What the node served since it started (oca/metrics.ts counters): title requests, body bytes, bytes from its own tiers. */
  async served(): Promise<{ requests: number; bytes: number; hitBytes: number }> {
    const s = await this.metrics()
    const bytes = sumOf(s, 'oca_bytes_served_total')
    return { requests: sumOf(s, 'oca_requests_total'), bytes, hitBytes: bytes - sumOf(s, 'oca_bytes_served_total', { tier: 'miss' }) }
  }

  async titles(): Promise<HeldTitle[]> {
    return this.api.expect(await this.api.call('GET', '/admin/titles'), checks.titles).titles
  }

  /** Start a fill; a fill of the same title already running is joined instead. */
  async fill(req: FillRequest): Promise<FillProgress> {
    const a = await this.api.call('POST', '/admin/fill', req)
    if (a.status === 409 && a.json && typeof a.json === 'object' && 'fill' in a.json) return checks.fillConflict(a.json, a.what).fill
    return this.api.expect(a, checks.fill, [202])
  }

  async progress(id: string): Promise<FillProgress> {
    return this.api.expect(await this.api.call('GET', `/admin/fills/${encodeURIComponent(id)}`), checks.fill)
  }

  /** Every fill this node process ran. */
  async fills(): Promise<FillProgress[]> {
    return this.api.expect(await this.api.call('GET', '/admin/fills'), checks.fills).fills
  }

  async pin(titleId: string, pinned = true): Promise<void> {
    this.api.expect(await this.api.call('PUT', `/admin/titles/${encodeURIComponent(titleId)}/pin`, { pinned }), checks.pinned)
  }

  /** Purge a title (its running fill is cancelled); resolves to the bytes freed. */
  async purge(titleId: string): Promise<number> {
    return this.api.expect(await this.api.call('DELETE', `/admin/titles/${encodeURIComponent(titleId)}`), checks.purged).bytesFreed
  }

  /** Fault injection: slow every title response by `ms`. */
  async delay(ms: number): Promise<number> {
    return this.api.expect(await this.api.call('POST', '/admin/delay', { ms }), checks.delay).delayMs
  }

  /** Stop taking sessions, finish in-flight responses, exit. */
  async drain(): Promise<NodeStatus> {
    return this.api.expect(await this.api.call('POST', '/admin/drain'), checks.draining, [202]).status
  }
}
