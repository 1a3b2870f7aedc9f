import { ErrorCodes, OclabError } from '../../lib/errors.js'
import type { Ladder } from '../ladder.js'
import { Bba } from './bba.js'
import { Bola } from './bola.js'
import { Dynamic } from './dynamic.js'
import { Mpc } from './mpc.js'
import { ThroughputRule } from './throughput.js'
import type { AbrPolicy } from './types.js'

type Params = Record<string, number>

/** Every ABR algorithm by its CLI name; each call makes a fresh policy for one session. */
export const ABR_ALGORITHMS: Record<string, (ladder: Ladder, params?: Params) => AbrPolicy> = {
  throughput: (l, p) => new ThroughputRule(l, p),
  bba: (l, p) => new Bba(l, p),
  bola: (l, p) => new Bola(l, p),
  mpc: (l, p) => new Mpc(l, false, p),
  robustmpc: (l, p) => new Mpc(l, true, p),
  dynamic: (l, p) => new Dynamic(l, p),
}

export const ABR_NAMES = Object.keys(ABR_ALGORITHMS)

export function createAbr(name: string, ladder: Ladder, params?: Params): AbrPolicy {
  const make = ABR_ALGORITHMS[name]
  if (!make) throw new OclabError(ErrorCodes.BAD_CONFIG, `unknown ABR algorithm "${name}" (one of ${ABR_NAMES.join(', ')})`)
  return make(ladder, params)
}
