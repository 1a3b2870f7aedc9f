import { DEFAULT_MAX_INPUT_BYTES } from '../sim/index.js'
import type { OptionSpec, OptionValues } from './command.js'
import { numberOption } from './command.js'

const MIB = 1024 * 1024

/** `--max-input <MiB>` of sim and lint: one spec, so both say the same thing. */
export const maxInputSpec: OptionSpec = {
  type: 'string',
  arg: '<MiB>',
  default: String(DEFAULT_MAX_INPUT_BYTES / MIB),
  help: 'refuse (OCLAB_ERR_INPUT_TOO_LARGE) any one input larger than this: manifest, playlist, title.json, trace file, segment or index read',
}

/** The --max-input limit in bytes (fractions of a MiB allowed; at most 4 GiB, a Buffer's reach). */
export function maxInputBytes(values: OptionValues): number {
  return Math.floor((numberOption(values, 'max-input', { min: 0.001, max: 4096 }) ?? DEFAULT_MAX_INPUT_BYTES / MIB) * MIB)
}
