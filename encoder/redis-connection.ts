import { Redis, type RedisOptions } from 'ioredis'
import type { RedisOptions as BullRedisOptions } from 'bullmq'
import { ErrorCodes, OclabError } from '../lib/errors.js'

/**
 * Connections to the Redis behind the fleet's queue, from a `redis://` or
 * `rediss://` URL. Two profiles: a worker rides out a Redis restart (blocking
 * commands, retries forever with a capped delay), a submitter or `oclab queue
 * status` gives up after a few seconds with a clear error instead of hanging.
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
}

export const DEFAULT_TIMEOUTS: ConnectionTimeouts = { connectMs: 3000 }

/** For BullMQ Workers and QueueEvents: blocking reads need `maxRetriesPerRequest: null`. */
export function workerConnection(t: QueueTarget, timeouts = DEFAULT_TIMEOUTS): BullRedisOptions {
  return { ...t.options, connectTimeout: timeouts.connectMs, maxRetriesPerRequest: null, retryStrategy: (n: number) => Math.min(5000, 100 * 2 ** Math.min(n, 6)) }
}

/** For short commands (submit, status, metrics): a request fails after a few reconnects rather than queueing forever. */
export function clientConnection(t: QueueTarget, timeouts = DEFAULT_TIMEOUTS): BullRedisOptions {
  return { ...t.options, connectTimeout: timeouts.connectMs, maxRetriesPerRequest: 2, retryStrategy: (n: number) => (n > 5 ? null : 200 * n) }
}

/**
 * Connect once with no retries and PING, so an unreachable or wrong Redis is
 * one clear error up front instead of a client retrying in the background.
 */
export async function checkRedis(t: QueueTarget, timeouts = DEFAULT_TIMEOUTS): Promise<void> {
  const client = new Redis({ ...t.options, lazyConnect: true, connectTimeout: timeouts.connectMs, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false })
  let last: Error | null = null
  client.on('error', (err: Error) => {
    last = err
  })
  try {
    await client.connect()
    await client.ping()
  } catch (err) {
    const cause = (last as Error | null) ?? (err as Error)
    throw new OclabError(
      ErrorCodes.QUEUE_UNREACHABLE,
      `cannot reach the queue's Redis at ${t.display}: ${cause.message} (is redis-server running there? check --queue)`,
    )
  } finally {
    client.disconnect()
  }
}
