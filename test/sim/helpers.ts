import type { AbrPolicy } from '../../sim/abr/types.js'

export const TRACES = new URL('../../../shared/traces/', import.meta.url).pathname

/** A policy that always asks for the same rung: the engine's timing is then checkable by hand. */
export function fixedPolicy(rung: number): AbrPolicy {
  return { name: `fixed-${rung}`, chooseRung: () => rung, onDownload: () => {} }
}
