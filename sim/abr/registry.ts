import { ErrorCodes, OclabError } from '../../lib/errors.js'
import type { Ladder } from '../manifest/ladder.js'
import { Bba, type BbaParams } from './bba.js'
import { Bola, type BolaParams } from './bola.js'
import { BolaE, type BolaEParams } from './bolae.js'
import { Dynamic, type DynamicParams } from './dynamic.js'
import { Mpc, type MpcParams } from './mpc.js'
import { DEFAULT_PROFILE, type ProfileName, resolveParams } from './params.js'
import { type ThroughputParams, ThroughputRule } from './throughput.js'
import { type SafeThroughputParams, SafeThroughputRule } from './throughput-safe.js'
import type { AbrContext, AbrParams, AbrPolicy } from './types.js'

/** What createAbr needs besides the ladder: the buffer cap (BOLA's sizing) and the profile whose defaults apply. */
export interface AbrOptions extends Partial<AbrContext> {
  profile?: ProfileName
}

/** The buffer cap when the caller does not say (SESSION_DEFAULTS.bufferCap). */
const DEFAULT_BUFFER_CAP = 30

// resolveParams fills every field of the table, so the casts below only narrow a checked record.
type Make = (ladder: Ladder, p: AbrParams, ctx: AbrContext) => AbrPolicy
const MAKERS: Record<string, Make> = {
  throughput: (l, p) =>
    p.variant === 'hlsjs' ? new ThroughputRule(l, p as unknown as ThroughputParams) : new SafeThroughputRule(l, p as unknown as SafeThroughputParams),
  bba: (l, p) => new Bba(l, p as unknown as BbaParams),
  bola: (l, p, c) => new Bola(l, p as unknown as BolaParams, c),
  bolae: (l, p, c) => new BolaE(l, p as unknown as BolaEParams, c),
  mpc: (l, p) => new Mpc(l, false, p as unknown as MpcParams),
  robustmpc: (l, p) => new Mpc(l, true, p as unknown as MpcParams),
  dynamic: (l, p, c) =>
    new Dynamic(l, { ...(p as unknown as DynamicParams), bola: { ...(p as unknown as BolaParams), variant: p.bolaVariant as BolaParams['variant'] } }, c),
}

export const ABR_NAMES = Object.keys(MAKERS)

/** ABR families, for verdicts: a rung is only "unused" when every family run left it unused. */
export const ABR_FAMILY: Record<string, string> = {
  throughput: 'throughput',
  bba: 'buffer',
  bola: 'buffer',
  bolae: 'buffer',
  mpc: 'model-predictive',
  robustmpc: 'model-predictive',
  dynamic: 'hybrid',
}

// A sweep makes one policy per session from the same inputs: resolve the table once per ladder and setting.
// Policies never write to their params, so sharing the resolved object is safe.
const resolved = new WeakMap<Ladder, Map<string, AbrParams>>()
function cachedParams(name: string, ladder: Ladder, profile: ProfileName, params?: AbrParams): AbrParams {
  let byKey = resolved.get(ladder)
  if (!byKey) {
    byKey = new Map()
    resolved.set(ladder, byKey)
  }
  const key = `${name}|${profile}|${params ? JSON.stringify(params) : ''}`
  let p = byKey.get(key)
  if (!p) {
    p = resolveParams(name, ladder, profile, params)
    byKey.set(key, p)
  }
  return p
}

/** A fresh policy for one session: the profile's defaults (sim/abr/params.ts) with `params` over them. */
export function createAbr(name: string, ladder: Ladder, params?: AbrParams, options: AbrOptions = {}): AbrPolicy {
  const make = MAKERS[name]
  if (!make) throw new OclabError(ErrorCodes.BAD_CONFIG, `unknown ABR algorithm "${name}" (one of ${ABR_NAMES.join(', ')})`)
  const p = cachedParams(name, ladder, options.profile ?? DEFAULT_PROFILE, params)
  return make(ladder, p, { bufferCap: options.bufferCap ?? DEFAULT_BUFFER_CAP })
}
