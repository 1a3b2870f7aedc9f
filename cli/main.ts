import { ErrorCodes, isOclabError, OclabError } from '../lib/errors.js'
import { helpText, parseCommandArgs, selectCommand } from './command.js'
import { commands } from './commands.js'

function topHelp(): string {
  const width = Math.max(...Object.keys(commands).map((n) => n.length)) + 2
  return [
    'oclab <command> [options]',
    '',
    'An Open Connect-style video delivery and ABR simulation lab.',
    '',
    'Commands:',
    ...Object.entries(commands).map(([n, c]) => `  ${n.padEnd(width)}${c.summary}`),
    '',
    'Run `oclab <command> --help` for its options.',
  ].join('\n')
}

/** `--json` asked for (before any `--`): failures are then also an NDJSON error event on stdout. */
const wantsJson = (argv: string[]): boolean => {
  const end = argv.indexOf('--')
  return (end === -1 ? argv : argv.slice(0, end)).includes('--json')
}

/** The messages of an error's `cause` chain, outermost first (bounded: causes can form a cycle). */
export function causeChain(err: unknown): string[] {
  const out: string[] = []
  let c = (err as { cause?: unknown } | null)?.cause
  while (c !== undefined && c !== null && out.length < 8) {
    out.push(c instanceof Error ? c.message : String(c))
    c = (c as { cause?: unknown }).cause
  }
  return out
}

/**
 * Report a failure: one line `oclab <cmd>: OCLAB_ERR_…: message` on stderr
 * (unexpected failures add their stack), and with --json an error event
 * `{"type":"error",…}` as one line on stdout, so a consumer of the NDJSON or
 * JSON output sees why it ended instead of an empty or cut-off stream.
 */
function reportFailure(command: string, err: unknown, json: boolean): number {
  const known = isOclabError(err)
  const code = known ? err.code : ErrorCodes.INTERNAL
  const message = known ? err.message : `unexpected failure: ${(err as Error)?.message ?? String(err)}`
  console.error(`oclab ${command}: ${code}: ${message}${known ? '' : `\n${(err as Error)?.stack ?? ''}`}`)
  if (json) {
    const cause = causeChain(err)
    console.log(JSON.stringify({ type: 'error', command, code, message, ...(cause.length ? { cause } : {}) }))
  }
  return code === ErrorCodes.USAGE ? 2 : 1
}

/** Run the CLI; returns the process exit code (0 ok, 1 failure, 2 bad usage). */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(topHelp())
    return name ? 0 : 2
  }
  const json = wantsJson(rest)
  const entry = commands[name]
  if (!entry) return reportFailure(name, new OclabError(ErrorCodes.USAGE, `unknown command "${name}" (try oclab --help)`), json)
  try {
    const { cmd, argv: args } = selectCommand(await entry.load(), rest)
    const { values, positionals, help } = parseCommandArgs(cmd, args)
    if (help) {
      console.log(helpText(cmd))
      return 0
    }
    const code = await cmd.run(values, positionals)
    return typeof code === 'number' ? code : 0
  } catch (err) {
    return reportFailure(name, err, json)
  }
}
