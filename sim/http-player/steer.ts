import type { Dispatcher } from 'undici'
import { ErrorCodes, OclabError } from '../../lib/errors.js'
import { type SteerAnswer, SteeringClient } from '../../steering/index.js'

export type { SteerAnswer, SteerCandidate } from '../../steering/index.js'

/** Ask the steering service where to play `title` from, as a client at the dispatcher's source address. */
export async function steer(steeringUrl: string, title: string, dispatcher?: Dispatcher, n = 3): Promise<SteerAnswer> {
  return new SteeringClient(steeringUrl, dispatcher ? { dispatcher } : {}).steer(title, n)
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
