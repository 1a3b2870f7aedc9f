import type { RedisOptions as BullRedisOptions } from 'bullmq'
import { Redis, type RedisOptions } from 'ioredis'
import { ErrorCodes, OclabError } from '../../lib/errors.js'

/**
 * Connections to the Redis behind the fleet's queue, from a `redis://` or
 * `rediss://` URL. Every command has a timeout (a hung Redis is an error, not
 * a hang); long-lived connections reconnect forever with a capped delay, and
 * whoever waits on them (the submitter) owns the deadline for giving up.
 */
export interface QueueTarget {
  /** The URL without its password, for messages. */
  display: string
  options: RedisOptions
}

export function parseQueueUrl(url: string): QueueTarget {
  let u: URL
  try {
    u = new URL(url)
  } catch {
    throw new OclabError(ErrorCodes.USAGE, `--queue must be a URL like redis://127.0.0.1:6379, got "${url}"`)
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new OclabError(ErrorCodes.USAGE, `--queue must be a redis:// or rediss:// URL, got "${url}"`)
  const db = u.pathname && u.pathname !== '/' ? Number(u.pathname.slice(1)) : 0
  if (!Number.isInteger(db) || db < 0) throw new OclabError(ErrorCodes.USAGE, `--queue: bad database number in "${url}"`)
  const options: RedisOptions = {
    host: u.hostname || '127.0.0.1',
    port: u.port ? Number(u.port) : 6379,
    db,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
  }
  return { display: `${u.protocol}//${options.host}:${options.port}${db ? `/${db}` : ''}`, options }
}

export interface ConnectionTimeouts {
  /** TCP connect timeout. Default 3000 ms. */
  connectMs: number
  /**
   * How long any one command may take before it fails with "Command timed out"
   * (ioredis `commandTimeout`): a Redis that accepts connections and never
   * answers is an error, not a hang. Default 5000 ms.
   */
  commandMs: number
}

export const DEFAULT_TIMEOUTS: ConnectionTimeouts = { connectMs: 3000, commandMs: 5000 }

/**
 * The longest block BullMQ asks of Redis: a Worker's BZPOPMIN is capped at 10 s
 * and QueueEvents' XREAD BLOCK defaults to 10 s. A connection that carries
 * blocking reads gets this much on top of its command timeout, so a healthy
 * idle block is never cut short while a hung Redis still fails it.
 */
export const LONGEST_BLOCK_MS = 10_000

/** Reconnect for as long as the process wants the connection, at most every 5 s: Redis restarts are ridden out, deadlines are the caller's. */
const reconnectForever = (n: number): number => Math.min(5000, 100 * 2 ** Math.min(n, 6))

/**
 * For BullMQ Workers and QueueEvents, which share their options with a
 * duplicated blocking connection: blocking reads need `maxRetriesPerRequest:
 * null`, and the command timeout must outlast the longest block (ioredis
 * applies `commandTimeout` to blocking commands too); `blockingTimeout` is
 * ioredis' own net under a block whose answer never comes.
 */
export function workerConnection(t: QueueTarget, timeouts = DEFAULT_TIMEOUTS): BullRedisOptions {
  return {
    ...t.options,
    connectTimeout: timeouts.connectMs,
    commandTimeout: timeouts.commandMs + LONGEST_BLOCK_MS,
    blockingTimeout: timeouts.commandMs + LONGEST_BLOCK_MS,
    maxRetriesPerRequest: null,
    retryStrategy: reconnectForever,
  }
}

/**
 * For short commands (submit, status, metrics, the submitter's watch): every
 * command fails within `commandMs`, whether Redis is down, restarting or hung,
 * while the connection keeps reconnecting in the background so a Redis that
 * comes back is used again. Callers that wait (the submitter) own the deadline.
 */
export function clientConnection(t: QueueTarget, timeouts = DEFAULT_TIMEOUTS): BullRedisOptions {
  return { ...t.options, connectTimeout: timeouts.connectMs, commandTimeout: timeouts.commandMs, maxRetriesPerRequest: 1, retryStrategy: reconnectForever }
}

/**
 * Connect once with no retries and PING, so an unreachable, wrong or hung
 * Redis is one clear error up front instead of a client retrying in the
 * background. The whole check is bounded by connect + command timeout (the
 * ready check and the PING of a Redis that never answers included).
 */
export async function checkRedis(t: QueueTarget, timeouts = DEFAULT_TIMEOUTS): Promise<void> {
  await withRedis(t, timeouts, async (client) => {
    await client.ping()
  })
}

/** What `oclab worker` checks at start: does this Redis keep the queue over a restart? */
export interface RedisPersistence {
  /** `appendonly yes`: every write is logged, a restart keeps all titles */
  aof: boolean
  /** RDB snapshot rules (`save`), '' when none: a restart keeps the last snapshot only */
  save: string
}

/** CONFIG GET appendonly / save. Null when the server refuses CONFIG (managed Redis often renames it). */
export async function redisPersistence(t: QueueTarget, timeouts = DEFAULT_TIMEOUTS): Promise<RedisPersistence | null> {
  return withRedis(t, timeouts, async (client) => {
    try {
      const aof = (await client.config('GET', 'appendonly')) as string[]
      const save = (await client.config('GET', 'save')) as string[]
      return { aof: aof[1] === 'yes', save: save[1] ?? '' }
    } catch {
      return null
    }
  })
}

/** The operator-facing verdict on `redisPersistence`, or null when a restart loses nothing. */
export function persistenceWarning(p: RedisPersistence | null, display: string): string | null {
  if (!p)
    return `warning: could not read the persistence settings of the Redis at ${display} (CONFIG GET refused); without AOF (appendonly yes) a Redis restart loses queued titles`
  if (p.aof) return null
  const what = p.save
    ? `only RDB snapshots (save ${p.save}): a restart rolls the queue back to the last snapshot`
    : 'no persistence (appendonly no, no save rules): a restart loses every queued title'
  return `warning: the Redis at ${display} has ${what}; submitters resubmit lost titles, but set appendonly yes to keep them`
}

/** One short-lived connection with no retries, bounded by connect + command timeout as a whole. */
async function withRedis<T>(t: QueueTarget, timeouts: ConnectionTimeouts, use: (client: Redis) => Promise<T>): Promise<T> {
  const client = new Redis({
    ...t.options,
    lazyConnect: true,
    connectTimeout: timeouts.connectMs,
    commandTimeout: timeouts.commandMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  })
  let last: Error | null = null
  client.on('error', (err: Error) => {
    last = err
  })
  const budget = timeouts.connectMs + timeouts.commandMs
  let timer: NodeJS.Timeout | undefined
  const hung = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${(budget / 1000).toFixed(1)} s`)), budget)
  })
  try {
    return await Promise.race([
      (async () => {
        await client.connect()
        return use(client)
      })(),
      hung,
    ])
  } catch (err) {
    const cause = (last as Error | null) ?? (err as Error)
    const hint = /timed out|no answer within/i.test(cause.message)
      ? 'something accepts connections there but does not answer: a hung or overloaded Redis, or not Redis at all'
      : 'is redis-server running there? check --queue'
    throw new OclabError(ErrorCodes.QUEUE_UNREACHABLE, `cannot reach the queue's Redis at ${t.display}: ${oneLine(cause)} (${hint})`)
  } finally {
    clearTimeout(timer)
    client.disconnect()
  }
}

/**
 * One prefixed line per outage instead of a raw ioredis stack every few
 * seconds: the first error is written at once, repeats within `everyMs` are
 * counted and summed up in the next line. Attach it to every BullMQ object's
 * 'error' event (with no listener BullMQ prints the stack itself).
 */
export function outageLog(prefix: string, write: (line: string) => void, everyMs = 10_000, now: () => number = Date.now): (err: Error) => void {
  let lastAt = -Infinity
  let quiet = 0
  return (err) => {
    const t = now()
    if (t - lastAt < everyMs) {
      quiet++
      return
    }
    const more = quiet ? ` (+${quiet} more error(s) in the last ${((t - lastAt) / 1000).toFixed(0)} s)` : ''
    write(`${prefix}: ${oneLine(err)}${more}`)
    lastAt = t
    quiet = 0
  }
}

/** An ioredis/BullMQ error as one line: the message, never the stack. */
export function oneLine(err: Error): string {
  const m = (err.message || String(err)).split('\n')[0]!.trim()
  const missing = /Missing key for job (\S+)/.exec(m)
  if (missing) return `job ${missing[1]!.replace(/\.$/, '')} is gone from Redis (restarted without persistence?)`
  return m
}

/** `p`, or an Error after `ms`: for BullMQ calls, which can wait for a connection longer than any command timeout. */
export async function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${(ms / 1000).toFixed(1)} s`)), ms)
      }),
    ])
  } finally {
    clearTimeout(timer)
  }
}
