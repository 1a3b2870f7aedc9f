import { readFile } from 'node:fs/promises'
import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { etagForSha256 } from '../lib/http/conditional.js'
import { cacheControlFor, contentTypeFor } from '../lib/http/content-type.js'
import { CORS_HEADERS } from '../lib/http/cors.js'
import { reprDigest } from '../lib/http/repr-digest.js'
import { realFileInside, type TitlePath } from '../lib/http/safe-path.js'
import { failTitle as fail, sendTitleObject, titleObjectRoutes, type ObjectBody } from '../lib/http/title-serving.js'
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

  const serve = async (req: FastifyRequest, reply: Reply, t: TitlePath): Promise<Reply> => {
    if (node.status() === 'overloaded') {
      req.served = { tier: 'none', bytes: 0 } // shed load is counted in oca_requests_total like any answer
      return fail(reply.header('retry-after', '1'), 503, 'overloaded')
    }
    if (node.delayMs > 0) await sleep(node.delayMs)

    const hot = node.hot.get(t.titleId, t.path)
    if (hot) {
      node.store.get(t.titleId, t.path) // record the serve for disk eviction too
      return answer(req, reply, hot.meta, hot.body, 'memory')
    }
    const held = node.store.get(t.titleId, t.path)
    if (held) return sendStored(req, reply, held, 'disk')
    return miss(req, reply, t)
  }

  const sendStored = async (req: FastifyRequest, reply: Reply, o: StoredObject, tier: Tier): Promise<Reply> => {
    const file = await realFileInside(node.store.dir, node.store.fileOf(o))
    if (!file) return fail(reply, 404, 'not found')
    if (node.hot.admits(o.bytes)) {
      const body = await readFile(file)
      node.hot.set(o, body)
      return answer(req, reply, o, body, tier)
    }
    return answer(req, reply, o, { file }, tier)
  }

  const answer = (req: FastifyRequest, reply: Reply, o: StoredObject, body: ObjectBody, tier: Tier): Reply => {
    req.served = { tier, bytes: sendTitleObject(req, reply, o, body, { cache: opts.cache, headers: { 'x-cache': xCache(tier) } }) }
    return reply
  }

  const miss = async (req: FastifyRequest, reply: Reply, t: TitlePath): Promise<Reply> => {
    if (!opts.parentUrl || opts.missMode === 'off') return fail(reply, 404, 'not found')
    if (opts.missMode === 'redirect') {
      req.served = { tier: 'miss', bytes: 0 }
      return reply.code(302).headers(CORS_HEADERS).header('location', node.parentObjectUrl(opts.parentUrl, t.titleId, t.path)).send()
    }
    const { fill, joined } = node.filler.fill(t.titleId, t.path)
    if (joined) node.metrics.collapsed.inc()
    // Only a plain GET is streamed live; Range, conditionals and HEAD need
    // the object's size and validators, so they wait for the stored copy.
    const plain = req.method === 'GET' && req.headers.range === undefined && req.headers['if-none-match'] === undefined &&
      req.headers['if-modified-since'] === undefined && req.headers['if-match'] === undefined && req.headers['if-unmodified-since'] === undefined
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
    reply.code(200).headers(CORS_HEADERS).headers({
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
