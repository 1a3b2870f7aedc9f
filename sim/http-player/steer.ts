import { request, type Dispatcher } from 'undici'
import { ErrorCodes, OclabError } from '../../lib/errors.js'

/** One ranked candidate of `GET /v1/steer` (steering/steer-routes.ts). */
export interface SteerCandidate {
  id: string
  site: string
  /** the title's base URL on that OCA, signed when the cluster signs */
  url: string
  reason: string
}

export interface SteerAnswer {
  title: string
  client: { ip: string; site: string | null; how: string }
  candidates: SteerCandidate[]
}

/** Ask the steering service where to play `title` from, as a client at the dispatcher's source address. */
export async function steer(steeringUrl: string, title: string, dispatcher?: Dispatcher, n = 3): Promise<SteerAnswer> {
  const url = new URL('/v1/steer', steeringUrl)
  url.searchParams.set('title', title)
  url.searchParams.set('n', String(n))
  let res
  try {
    res = await request(url, { ...(dispatcher ? { dispatcher } : {}), headersTimeout: 5000, bodyTimeout: 5000 })
  } catch (err) {
    throw new OclabError(ErrorCodes.NOT_FOUND, `steering service ${steeringUrl} unreachable: ${(err as Error).message}`, undefined, { cause: err })
  }
  const body = (await res.body.json()) as SteerAnswer & { error?: string }
  if (res.statusCode !== 200 || !body.candidates?.length) {
    throw new OclabError(ErrorCodes.NOT_FOUND, `steering gave no OCA for ${title}: ${body.error ?? `HTTP ${res.statusCode}`}`)
  }
  return body
}

/**
 * Wait until steering offers at least `min` candidates for `title` (it learns
 * the fleet from health polls, so right after start-up it may know only some).
 */
export async function waitForSteering(steeringUrl: string, title: string, min: number, dispatcher?: Dispatcher, timeoutMs = 15_000): Promise<SteerAnswer> {
  const deadline = Date.now() + timeoutMs
  let last = ''
  for (;;) {
    try {
      const a = await steer(steeringUrl, title, dispatcher)
      if (a.candidates.length >= min) return a
      last = `${a.candidates.length} candidate(s)`
    } catch (err) {
      last = (err as Error).message
    }
    if (Date.now() > deadline) throw new OclabError(ErrorCodes.NOT_FOUND, `steering not ready for ${title} after ${timeoutMs / 1000} s: ${last}`)
    await new Promise((r) => setTimeout(r, 200))
  }
}
