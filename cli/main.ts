import { commands } from './commands.js'
import { helpText, parseCommandArgs, selectCommand } from './command.js'
import { ErrorCodes, isOclabError } from '../lib/errors.js'

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

/** Run the CLI; returns the process exit code (0 ok, 1 failure, 2 bad usage). */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(topHelp())
    return name ? 0 : 2
  }
  const entry = commands[name]
  if (!entry) {
    console.error(`oclab: unknown command "${name}" (try oclab --help)`)
    return 2
  }
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
    if (isOclabError(err)) {
      console.error(`oclab ${name}: ${err.message}`)
      return err.code === ErrorCodes.USAGE ? 2 : 1
    }
    console.error(`oclab ${name}: unexpected failure: ${(err as Error)?.stack ?? String(err)}`)
    return 1
  }
}
