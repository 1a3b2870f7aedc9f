import { parseArgs } from 'node:util'
import { ErrorCodes, OclabError } from '../lib/errors.js'

/** One option of a command, as node:util parseArgs takes it plus a help line. */
export interface OptionSpec {
  type: 'string' | 'boolean'
  short?: string
  multiple?: boolean
  default?: string | boolean
  /** Shown in --help; say the default here in words when it is computed. */
  help: string
  /** Placeholder in --help, e.g. `<dir>`. */
  arg?: string
}

export type OptionValues = Record<string, string | boolean | string[] | boolean[] | undefined>

export interface Command {
  name: string
  summary: string
  /** e.g. `<source> --out <store> [options]` */
  usage: string
  options: Record<string, OptionSpec>
  /** How many positionals the command takes. */
  positionals?: { min: number; max: number }
  /** Resolves to the exit code, or to nothing for 0. */
  // biome-ignore lint/suspicious/noConfusingVoidType: commands that always succeed are plain async functions, whose type is Promise<void>
  run(values: OptionValues, positionals: string[]): Promise<number | void>
  /** `oclab <name> <sub> …`: when the first argument names one, that command runs instead, with its own options and --help */
  subcommands?: Record<string, Command>
}

/** The command an argv selects: a subcommand named by the first argument, else the command itself. */
export function selectCommand(cmd: Command, argv: string[]): { cmd: Command; argv: string[] } {
  const sub = argv[0] !== undefined ? cmd.subcommands?.[argv[0]] : undefined
  return sub ? { cmd: sub, argv: argv.slice(1) } : { cmd, argv }
}

/** Bad usage: the CLI prints its one-line message and exits 2. */
export const usageError = (message: string): OclabError => new OclabError(ErrorCodes.USAGE, message)

export function helpText(cmd: Command): string {
  const lines = [`oclab ${cmd.name} ${cmd.usage}`, '', cmd.summary, '', 'Options:']
  const entries = Object.entries({ ...cmd.options, help: { type: 'boolean', short: 'h', help: 'show this help' } as OptionSpec })
  const left = entries.map(([name, o]) => `${o.short ? `-${o.short}, ` : '    '}--${name}${o.type === 'string' ? ` ${o.arg ?? '<value>'}` : ''}`)
  const width = Math.max(...left.map((l) => l.length)) + 2
  entries.forEach(([, o], i) => {
    const def = o.default !== undefined && o.default !== false ? ` (default: ${String(o.default)})` : ''
    lines.push(`  ${left[i]!.padEnd(width)}${o.help}${def}`)
  })
  if (cmd.subcommands) {
    lines.push('', 'Subcommands (each has its own --help):')
    for (const sub of Object.values(cmd.subcommands)) lines.push(`  oclab ${sub.name} ${sub.usage}`, `      ${sub.summary}`)
  }
  return lines.join('\n')
}

/** Parse argv for one command; unknown flags and wrong arity are usage errors. */
export function parseCommandArgs(cmd: Command, argv: string[]): { values: OptionValues; positionals: string[]; help: boolean } {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean; default?: string | boolean }> = {
    help: { type: 'boolean', short: 'h' },
  }
  for (const [name, o] of Object.entries(cmd.options)) {
    options[name] = {
      type: o.type,
      ...(o.short ? { short: o.short } : {}),
      ...(o.multiple ? { multiple: true } : {}),
      ...(o.default !== undefined ? { default: o.default } : {}),
    }
  }
  let parsed: ReturnType<typeof parseArgs>
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true })
  } catch (err) {
    throw usageError(`${cmd.name}: ${(err as Error).message.split('\n')[0]}`)
  }
  const help = parsed.values.help === true
  const { min, max } = cmd.positionals ?? { min: 0, max: 0 }
  if (!help && (parsed.positionals.length < min || parsed.positionals.length > max)) {
    throw usageError(
      `${cmd.name}: expected ${min === max ? min : `${min} to ${max}`} argument(s), got ${parsed.positionals.length}: usage: oclab ${cmd.name} ${cmd.usage}`,
    )
  }
  return { values: parsed.values as OptionValues, positionals: parsed.positionals, help }
}

/** Typed readers for option values, each raising a usage error on bad input. */
export function numberOption(values: OptionValues, name: string, opts: { min?: number; max?: number; integer?: boolean } = {}): number | undefined {
  const raw = values[name]
  if (raw === undefined) return undefined
  const n = Number(raw)
  if (typeof raw !== 'string' || raw.trim() === '' || !Number.isFinite(n)) throw usageError(`--${name} must be a number, got "${String(raw)}"`)
  if (opts.integer && !Number.isInteger(n)) throw usageError(`--${name} must be a whole number, got ${raw}`)
  if (opts.min !== undefined && n < opts.min) throw usageError(`--${name} must be at least ${opts.min}, got ${raw}`)
  if (opts.max !== undefined && n > opts.max) throw usageError(`--${name} must be at most ${opts.max}, got ${raw}`)
  return n
}

export function stringOption(values: OptionValues, name: string): string | undefined {
  const v = values[name]
  return typeof v === 'string' ? v : undefined
}

/** A repeatable (`multiple: true`) string option's values, in the order given; [] when absent. */
export function listOption(values: OptionValues, name: string): string[] {
  const v = values[name]
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []
}

export function requiredString(values: OptionValues, name: string): string {
  const v = stringOption(values, name)
  if (v === undefined || v === '') throw usageError(`--${name} is required`)
  return v
}

export function choiceOption<T extends string>(values: OptionValues, name: string, choices: readonly T[]): T | undefined {
  const v = stringOption(values, name)
  if (v === undefined) return undefined
  if (!(choices as readonly string[]).includes(v)) throw usageError(`--${name} must be one of ${choices.join(', ')}, got "${v}"`)
  return v as T
}

/** `640x360` → {width, height} */
export function sizeOption(values: OptionValues, name: string): { width: number; height: number } | undefined {
  const v = stringOption(values, name)
  if (v === undefined) return undefined
  const m = /^(\d+)x(\d+)$/.exec(v)
  if (!m) throw usageError(`--${name} must look like 640x360, got "${v}"`)
  const width = Number(m[1])
  const height = Number(m[2])
  if (width < 16 || height < 16 || width > 7680 || height > 4320 || width % 2 || height % 2) {
    throw usageError(`--${name} must be even and between 16x16 and 7680x4320, got "${v}"`)
  }
  return { width, height }
}
