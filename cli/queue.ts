import { ErrorCodes, OclabError } from '../lib/errors.js'
import type { Command } from './command.js'
import { requiredString, stringOption, usageError } from './command.js'

/** `oclab queue status --queue redis://…`: the encoding fleet's queue, per title. */
export const command: Command = {
  name: 'queue',
  summary: "Show the encoding fleet's queue: jobs waiting, active, failed, per title.",
  usage: 'status --queue redis://host:port [--json]',
  positionals: { min: 1, max: 1 },
  options: {
    queue: { type: 'string', arg: '<redis-url>', help: "the queue's Redis" },
    'queue-name': { type: 'string', arg: '<name>', default: 'oclab-encode', help: 'BullMQ queue name' },
    json: { type: 'boolean', help: 'print the status as JSON' },
  },
  async run(values, [sub]) {
    if (sub !== 'status') throw usageError(`queue: unknown subcommand "${sub}" (expected: status)`)
    // Loaded here, not at the top: BullMQ and ioredis cost ~0.4 CPU-s, which `--help` and usage errors need not pay.
    const [{ Queue }, { Redis }, fleet] = await Promise.all([import('bullmq'), import('ioredis'), import('../encoder/fleet/index.js')])
    const { DEFAULT_TIMEOUTS, checkRedis, clientConnection, oneLine, outageLog, parseQueueUrl, withTimeout, queueStatus, renderQueueStatus } = fleet
    const target = parseQueueUrl(requiredString(values, 'queue'))
    const name = stringOption(values, 'queue-name') ?? 'oclab-encode'
    await checkRedis(target)
    // our own client: BullMQ's close can wait forever on a Redis that stopped answering, this one is dropped for sure
    const client = new Redis(clientConnection(target))
    client.on('error', () => {}) // reported through the queue below
    const queue = new Queue(name, { connection: client })
    // every command has a timeout; a Redis lost mid-status is one line and a failed command, not a stack per retry
    queue.on(
      'error',
      outageLog(`oclab queue: Redis at ${target.display}`, (line) => process.stderr.write(`${line}\n`)),
    )
    try {
      // BullMQ waits for a ready connection with no timeout of its own: bound the whole status (a few dozen commands)
      const status = await withTimeout(queueStatus(queue), 3 * DEFAULT_TIMEOUTS.commandMs).catch((err: Error) => {
        throw new OclabError(ErrorCodes.QUEUE_UNREACHABLE, `the queue's Redis at ${target.display} stopped answering: ${oneLine(err)}`)
      })
      console.log(values.json === true ? JSON.stringify(status, null, 2) : renderQueueStatus(status, name, target.display))
    } finally {
      await withTimeout(queue.close(), DEFAULT_TIMEOUTS.commandMs).catch(() => {})
      client.disconnect()
    }
  },
}
