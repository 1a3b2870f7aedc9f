import { ErrorCodes, OclabError } from '../../lib/errors.js'

/**
 * Faults injected during a load run, written `kind:target@seconds`:
 *   kill:oca-1@20          SIGKILL the OCA process
 *   drain:oca-2@30         SIGTERM it (it drains, then exits)
 *   slow:oca-3=500@10      every response of that OCA delayed 500 ms (admin API)
 *   origin-down@40+15      the origin stops answering (SIGSTOP) for 15 s
 */
export type FaultKind = 'kill' | 'drain' | 'slow' | 'origin-down'

export interface FaultSpec {
  kind: FaultKind
  target: string
  /** seconds after the run starts */
  at: number
  /** slow: delay ms; origin-down: seconds unreachable */
  value?: number
  text: string
}

export function parseFault(text: string): FaultSpec {
  const bad = (why: string) => new OclabError(ErrorCodes.USAGE, `--fault "${text}": ${why} (e.g. kill:oca-1@20, drain:oca-2@30, slow:oca-3=500@10, origin-down@40+15)`)
  const m = /^(kill|drain|slow|origin-down)(?::([A-Za-z0-9_-]+)(?:=(\d+))?)?@(\d+(?:\.\d+)?)(?:\+(\d+(?:\.\d+)?))?$/.exec(text.trim())
  if (!m) throw bad('not a fault')
  const kind = m[1] as FaultKind
  const at = Number(m[4])
  if (kind === 'origin-down') {
    if (m[2]) throw bad('origin-down takes no target')
    return { kind, target: 'origin', at, value: m[5] ? Number(m[5]) : 10, text }
  }
  if (!m[2]) throw bad(`${kind} needs an OCA id`)
  if (kind === 'slow' && !m[3]) throw bad('slow needs a delay: slow:<oca>=<ms>@<s>')
  if (kind !== 'slow' && m[3]) throw bad(`${kind} takes no =value`)
  if (m[5]) throw bad('only origin-down takes +seconds')
  return { kind, target: m[2], at, ...(m[3] ? { value: Number(m[3]) } : {}), text }
}
