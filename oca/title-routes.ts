import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { etagForSha256 } from '../lib/http/conditional.js'
import { cacheControlFor, contentTypeFor } from '../lib/http/content-type.js'
import { CORS_HEADERS } from '../lib/http/cors.js'
import { pumpFile, readWhole } from '../lib/http/file-pump.js'
import { reprDigest } from '../lib/http/repr-digest.js'
import { realFileInside, type TitlePath } from '../lib/http/safe-path.js'
import { failTitle as fail, type ObjectBody, STREAM_CHUNK_BYTES, sendTitleObject, titleObjectRoutes } from '../lib/http/title-serving.js'
import { isPlainGet, sendWholeBuffer, WholeObjectHeaders, writeWholeHead } from '../lib/http/whole-object-answer.js'
import type { StoredObject } from './disk-store.js'
import { ParentError } from './download.js'
import type { Tier } from './metrics.js'
import type { OcaNode } from './node.js'

/**
 * GET/HEAD of title objects: `/titles/<id>/<path>` and the signed form
 * `/t/<expiry>/<sig>/titles/<id>/<path>`. Lookup order: hot tier (no
 * filesystem call), disk (promoted to the hot tier when it fits), then the
 * miss policy (fill from the parent, redirect, or 404).
 */
declare module 'fastify' {
  interface FastifyRequest {
    /** which tier answered and how many body bytes the answer carries, for metrics */
    served: { tier: Tier; bytes: number } | null
  }
}

type Reply = FastifyReply

const xCache = (tier: Tier): string => (tier === 'miss' ? 'MISS' : `HIT-${tier.toUpperCase()}`)

export async function titleRoutes(app: FastifyInstance, node: OcaNode): Promise<void> {
  const { opts } = node
  const whole = new WholeObjectHeaders(opts.cache)

  const serve = async (req: FastifyRequest, reply: Reply, t: TitlePath): Promise<Reply> => {
    if (node.status() === 'overloaded') {
      req.served = { tier: 'none', bytes: 0 } // shed load is counted in oca_requests_total like any answer
      node.metrics.shed.inc({ reason: 'overloaded' })
      return fail(reply.header('retry-after', '1'), 503, 'overloaded')
    }
    if (node.delayMs > 0) await sleep(node.delayMs)

    const hot = node.hot.get(t.titleId, t.path)
    if (hot) {
      // The answer sends the tier's own Buffer, so it adds no memory while the
      // entry stays in the tier; if the tier evicts it first, the pin moves
      // its bytes (once for all its answers) to the in-flight budget.
      reply.raw.once('close', node.hot.pin(hot))
      node.store.get(t.titleId, t.path) // record the serve for disk eviction too
      return answer(req, reply, hot.meta, hot.body, 'memory')
    }
    const held = node.store.get(t.titleId, t.path, false)
    if (held) {
      if (!admit(req, reply, streamCost(req, held.bytes))) return shed(req, reply)
      node.store.get(t.titleId, t.path)
      return sendStored(req, reply, held, 'disk')
    }
    return miss(req, reply, t)
  }

  /** What a streamed answer holds at most: its read-ahead (and the socket's buffer). */
  const streamCost = (req: FastifyRequest, bytes: number): number => (req.method === 'HEAD' ? 0 : Math.min(bytes, 2 * STREAM_CHUNK_BYTES))

  /** Charge an answer to the in-flight budget until its socket closes; false when it does not fit. */
  const admit = (_req: FastifyRequest, reply: Reply, bytes: number): boolean => {
    const release = node.inFlightBytes.take(bytes)
    if (!release) return false
    reply.raw.once('close', release)
    return true
  }

  const shed = (req: FastifyRequest, reply: Reply): Reply => {
    req.served = { tier: 'none', bytes: 0 }
    node.metrics.shed.inc({ reason: 'in-flight-bytes' })
    return fail(reply.header('retry-after', '1'), 503, 'overloaded')
  }

  /**
   * Disk hits are streamed (bounded read-ahead, backpressure from the socket)
   * and never read whole for the answer. An object the hot tier takes is
   * promoted by a separate read, one per object at a time, and only when the
   * in-flight budget has room for it: under churn promotion is what gives
   * way, not the answers.
   */
  const promoting = new Set<string>()
  const promote = (o: StoredObject): void => {
    const key = `${o.titleId}/${o.path}`
    if (promoting.has(key) || !node.hot.wouldAdmit(o.titleId, o.path, o.bytes)) return
    const release = node.inFlightBytes.take(o.bytes)
    if (!release) return
    promoting.add(key)
    node.openFiles
      .acquire(o, locate(o))
      .then(async (h) => {
        if (!h) return
        try {
          const body = await readWhole(h.fd, o.bytes)
          // Still the same object (not evicted or replaced while it was read)?
          if (node.store.get(o.titleId, o.path, false) === o) node.hot.set(o, body)
        } finally {
          h.release()
        }
      })
      .catch(() => undefined) // a promotion that fails only costs the next hit a disk read
      .finally(() => {
        promoting.delete(key)
        release()
      })
  }

  /** The object's file, checked to lie inside the store (symlinks resolved), or undefined when it is gone. */
  const locate = (o: StoredObject) => () => realFileInside(node.store.dir, node.store.fileOf(o))

  /**
   * A plain GET of a stored object is pumped from a cached descriptor through
   * one pooled chunk (lib/http/file-pump.ts): no open, no realpath and no new
   * Buffer per answer. Range, conditionals and HEAD take the general path.
   */
  const sendStored = async (req: FastifyRequest, reply: Reply, o: StoredObject, tier: Tier): Promise<Reply> => {
    if (!isPlainGet(req.method, req.headers)) {
      const file = await locate(o)()
      if (!file) return fail(reply, 404, 'not found')
      promote(o)
      return answer(req, reply, o, { file }, tier)
    }
    const opened = await node.openFiles.acquire(o, locate(o)).catch(() => undefined)
    if (!opened) return fail(reply, 404, 'not found')
    promote(o)
    const res = reply.raw
    req.served = { tier, bytes: o.bytes }
    reply.hijack()
    pumpFile(
      opened.fd,
      0,
      o.bytes - 1,
      res,
      node.chunks,
      () => writeWholeHead(res, whole.of(o), ['x-request-id', req.id], ['x-cache', xCache(tier)]),
      (err) => {
        opened.release()
        if (!err || res.headersSent || res.destroyed) return
        // Not one byte could be read: an error answer, as Fastify gives for a stream that fails before its first chunk.
        req.served = { tier, bytes: 0 }
        req.log.error({ err: err.message, title: o.titleId, path: o.path }, 'reading a stored object failed')
        res.writeHead(500, { ...CORS_HEADERS, 'cache-control': 'no-store', 'content-type': 'application/json; charset=utf-8' })
        res.end(JSON.stringify({ error: 'reading the stored object failed' }))
      },
    )
    return reply
  }

  /**
   * A plain GET of a hot-tier Buffer (the bulk of a node's traffic) takes the
   * header fields planned once for the object and goes to the socket
   * directly; Range, conditionals and HEAD are planned per request.
   */
  const answer = (req: FastifyRequest, reply: Reply, o: StoredObject, body: ObjectBody, tier: Tier): Reply => {
    if (Buffer.isBuffer(body) && isPlainGet(req.method, req.headers)) {
      req.served = { tier, bytes: o.bytes }
      sendWholeBuffer(reply, whole.of(o), body, ['x-request-id', req.id], ['x-cache', xCache(tier)])
      return reply
    }
    req.served = { tier, bytes: sendTitleObject(req, reply, o, body, { cache: opts.cache, headers: { 'x-cache': xCache(tier) } }) }
    return reply
  }

  const miss = async (req: FastifyRequest, reply: Reply, t: TitlePath): Promise<Reply> => {
    if (!opts.parentUrl || opts.missMode === 'off') return fail(reply, 404, 'not found')
    if (opts.missMode === 'redirect') {
      req.served = { tier: 'miss', bytes: 0 }
      return reply
        .code(302)
        .headers(CORS_HEADERS)
        .header('location', node.parentObjectUrl(opts.parentUrl, t.titleId, t.path))
        .send()
    }
    const { fill, joined } = node.filler.fill(t.titleId, t.path)
    if (joined) node.metrics.collapsed.inc()
    // Only a plain GET is streamed live; Range, conditionals and HEAD need
    // the object's size and validators, so they wait for the stored copy.
    const plain = isPlainGet(req.method, req.headers)
    try {
      if (!plain) {
        const o = await fill.done
        return await sendStored(req, reply, o, 'miss')
      }
      await fill.started
    } catch (err) {
      const status = err instanceof ParentError ? err.status : 502
      req.served = { tier: 'miss', bytes: 0 }
      req.log.warn({ title: t.titleId, path: t.path, err: (err as Error).message }, 'fill from parent failed')
      return fail(reply, status, status === 404 ? 'not found' : 'parent fetch failed')
    }
    reply
      .code(200)
      .headers(CORS_HEADERS)
      .headers({
        'content-type': contentTypeFor(t.path),
        'cache-control': cacheControlFor(t.path, opts.cache),
        'accept-ranges': 'bytes',
        'x-cache': 'MISS',
      })
    if (fill.size !== undefined) reply.header('content-length', String(fill.size))
    // The hash the fill is verified against gives the same ETag and
    // Repr-Digest the stored copy will have, so a child OCA filling from this
    // one mid-fill can verify too.
    const etag = fill.sha256 ? etagForSha256(fill.sha256) : fill.etag
    if (etag) reply.header('etag', etag)
    if (fill.sha256) reply.header('repr-digest', reprDigest(fill.sha256))
    req.served = { tier: 'miss', bytes: fill.size ?? 0 }
    return reply.send(fill.stream())
  }

  await titleObjectRoutes(app, { signing: opts.signing, serve })
}
