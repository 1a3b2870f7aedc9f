import { ErrorCodes, OclabError } from '../lib/errors.js'
import { ApiClient, type ApiClientOptions } from '../lib/http/api-client.js'
import { checks, type SteerAnswer } from './api.js'

/**
 * The steering service's JSON API as players and the load harness call it.
 * Answers are checked against api.ts's schema (a wrong shape is
 * OCLAB_ERR_BAD_RESPONSE); no answer within the deadline or an unexpected
 * status is OCLAB_ERR_UPSTREAM_FAILED. Pass a `dispatcher` bound to a source
 * address to ask as a client of that address.
 */
export class SteeringClient {
  private readonly api: ApiClient

  constructor(base: string, opts: ApiClientOptions = {}) {
    this.api = new ApiClient('steering', base, opts)
  }

  /**
   * `GET /v1/steer`: up to `n` OCAs ranked for `title`. Any other answer than
   * 200 (404 unknown title, 503 no healthy OCA) is OCLAB_ERR_UPSTREAM_FAILED
   * with steering's reason; a 200 listing no OCA, OCLAB_ERR_NOT_FOUND.
   */
  async steer(title: string, n = 3): Promise<SteerAnswer> {
    const answer = this.api.expect(await this.api.call('GET', `/v1/steer?${new URLSearchParams({ title, n: String(n) })}`), checks.steer)
    if (!answer.candidates.length) throw new OclabError(ErrorCodes.NOT_FOUND, `steering gave no OCA for ${title}`)
    return answer
  }
}
