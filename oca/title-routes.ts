import { createReadStream } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { etagForSha256 } from '../lib/http/conditional.js'
import { cacheControlFor, contentTypeFor } from '../lib/http/content-type.js'
import { CORS_HEADERS, CORS_PREFLIGHT_HEADERS } from '../lib/http/cors.js'
import { planResponse } from '../lib/http/plan-response.js'
import { parseTitlePath, realFileInside, type TitlePath } from '../lib/http/safe-path.js'
import { SIGNED_PREFIX, verifyTitleSignature } from '../lib/http/signed-url.js'
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

function fail(reply: Reply, status: number, error: string): Reply {
  return reply.code(status).headers(CORS_HEADERS).header('cache-control', 'no-store').send({ error })
}

export async function titleRoutes(app: FastifyInstance, node: OcaNode): Promise<void> {
  const { opts } = node

  const serve = async (req: FastifyRequest, reply: Reply, rawPath: string, token?: { expiry: string; sig: string }): Promise<Reply> => {
    const parsed = parseTitlePath(rawPath)
    if (!parsed.ok) return fail(reply, 400, parsed.reason)
    const t = parsed.value
    if (opts.signing) {
      if (token) {
        const check = verifyTitleSignature(opts.signing.secret, t.titleId, token.expiry, token.sig, Math.floor(Date.now() / 1000))
        if (check !== 'ok') return fail(reply, 403, `signed URL ${check}`)
      } else if (opts.signing.required !== false) {
        return fail(reply, 403, 'this node serves signed URLs only')
      }
    } else if (token) {
      return fail(reply, 404, 'this node does not serve signed URLs')
    }
    if (node.status() === 'overloaded') {
      return fail(reply.header('retry-after', '1'), 503, 'overloaded')
    }
    if (node.delayMs > 0) await sleep(node.delayMs)

    const hot = node.hot.get(t.titleId, t.path)
    if (hot) {
      node.store.get(t.titleId, t.path) // record the serve for disk eviction too
      return sendBuffer(req, reply, hot.meta, hot.body, 'memory')
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
      return sendBuffer(req, reply, o, body, tier)
    }
    const plan = planFor(req, o)
    reply.code(plan.status).headers(CORS_HEADERS).headers(plan.headers).header('x-cache', xCache(tier))
    if ((plan.status !== 200 && plan.status !== 206) || req.method === 'HEAD') {
      req.served = { tier, bytes: 0 }
      return reply.send()
    }
    const start = plan.range?.start ?? 0
    const end = plan.range?.end ?? o.bytes - 1
    req.served = { tier, bytes: end - start + 1 }
    return reply.send(createReadStream(file, { start, end }))
  }

  const planFor = (req: FastifyRequest, o: StoredObject) =>
    planResponse(req.method, req.headers, {
      size: o.bytes,
      etag: etagForSha256(o.sha256),
      lastModified: o.mtimeMs,
      contentType: contentTypeFor(o.path),
      cacheControl: cacheControlFor(o.path, opts.cache),
    })

  const sendBuffer = (req: FastifyRequest, reply: Reply, o: StoredObject, body: Buffer, tier: Tier): Reply => {
    const plan = planFor(req, o)
    reply.code(plan.status).headers(CORS_HEADERS).headers(plan.headers).header('x-cache', xCache(tier))
    if ((plan.status !== 200 && plan.status !== 206) || req.method === 'HEAD') {
      req.served = { tier, bytes: 0 }
      return reply.send()
    }
    const slice = plan.range ? body.subarray(plan.range.start, plan.range.end + 1) : body
    req.served = { tier, bytes: slice.length }
    return reply.send(slice)
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
    if (fill.etag) reply.header('etag', fill.etag)
    req.served = { tier: 'miss', bytes: fill.size ?? 0 }
    return reply.send(fill.stream())
  }

  const titleRoute = { method: ['GET', 'HEAD'] as ('GET' | 'HEAD')[] }
  const rawPathOf = (req: FastifyRequest): string => (req.raw.url ?? '/').split('?')[0]!

  app.route({
    ...titleRoute,
    url: '/titles/*',
    handler: (req, reply) => serve(req, reply, rawPathOf(req).slice(1)),
  })

  app.route({
    ...titleRoute,
    url: `${SIGNED_PREFIX}*`,
    handler: (req, reply) => {
      const m = /^\/t\/([^/]*)\/([^/]*)\/(.*)$/.exec(rawPathOf(req))
      if (!m) return fail(reply, 400, 'malformed signed path')
      return serve(req, reply, m[3]!, { expiry: m[1]!, sig: m[2]! })
    },
  })

  for (const url of ['/titles/*', `${SIGNED_PREFIX}*`]) {
    app.options(url, (_req, reply) => reply.code(204).headers(CORS_PREFLIGHT_HEADERS).send())
  }
}
