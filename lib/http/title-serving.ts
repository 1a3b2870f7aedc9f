import { createReadStream } from 'node:fs'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { etagForSha256, etagForStat } from './conditional.js'
import { type CachePolicy, cacheControlFor, contentTypeFor } from './content-type.js'
import { CORS_HEADERS, CORS_PREFLIGHT_HEADERS } from './cors.js'
import { planResponse, type Representation, type ResponsePlan } from './plan-response.js'
import { reprDigest } from './repr-digest.js'
import { parseTitlePath, type TitlePath } from './safe-path.js'
import { SIGNED_PREFIX, verifyTitleSignature } from './signed-url.js'

/**
 * Serving title objects, shared by every node that holds a title store (the
 * OCA's tiers and the origin's master store): the `/titles/…` URL layout and
 * its signed form, path checks, signature checks, CORS preflight, and one
 * object's answer (conditionals, Range, media type, Cache-Control, and the
 * RFC 9530 Repr-Digest when the content hash is known). What a
 * node does once a request is checked (tiers, misses, metrics) stays its own.
 */
export interface TitleObject {
  /** path inside the title, for the media type and cache policy */
  path: string
  bytes: number
  /** the content hash when known (the ETag then matches on every node) */
  sha256?: string
  mtimeMs: number
}

/** The body of an object: bytes in memory, or a file read with a stream. */
export type ObjectBody = Buffer | { file: string }

/**
 * Read-ahead of a streamed file answer. The stream is piped into the socket
 * with backpressure, so one answer holds about this much (plus the socket's
 * own buffer) whatever the object's size. Measured on disk hits of 1 MB and
 * 4 MB objects (32 connections, alternating rounds): the 64 KiB default cost
 * 1.65× and 1.94× this size's CPU per GB, 1 MiB 0.95× and 1.78× (each chunk
 * is a fresh Buffer: larger ones fault in more new pages per byte).
 */
export const STREAM_CHUNK_BYTES = 256 * 1024

export function failTitle(reply: FastifyReply, status: number, error: string): FastifyReply {
  return reply.code(status).headers(CORS_HEADERS).header('cache-control', 'no-store').send({ error })
}

/** What planResponse decides on, from what a node knows of an object. */
export function representationOf(o: TitleObject, cache?: CachePolicy): Representation {
  return {
    size: o.bytes,
    etag: o.sha256 ? etagForSha256(o.sha256) : etagForStat(o.bytes, o.mtimeMs),
    lastModified: o.mtimeMs,
    contentType: contentTypeFor(o.path),
    cacheControl: cacheControlFor(o.path, cache),
  }
}

/**
 * The header fields of an answer about one object: CORS, the plan's, and the
 * whole object's digest on full, range and HEAD answers alike (RFC 9530
 * Repr-Digest): a child filling from this node verifies the bytes against it.
 */
export function answerFields(o: TitleObject, plan: ResponsePlan): Record<string, string> {
  const fields = { ...CORS_HEADERS, ...plan.headers }
  if (o.sha256 && (plan.status === 200 || plan.status === 206)) fields['repr-digest'] = reprDigest(o.sha256)
  return fields
}

/**
 * Answer GET/HEAD of one object. Returns how many body bytes the answer
 * carries (0 for HEAD, 304, 412, 416), for the caller's accounting.
 */
export function sendTitleObject(
  req: FastifyRequest,
  reply: FastifyReply,
  o: TitleObject,
  body: ObjectBody,
  opts: { cache?: CachePolicy; headers?: Record<string, string> } = {},
): number {
  const plan = planResponse(req.method, req.headers, representationOf(o, opts.cache))
  reply.code(plan.status).headers(answerFields(o, plan))
  if (opts.headers) reply.headers(opts.headers)
  if ((plan.status !== 200 && plan.status !== 206) || req.method === 'HEAD') {
    void reply.send()
    return 0
  }
  const start = plan.range?.start ?? 0
  const end = plan.range?.end ?? o.bytes - 1
  if (Buffer.isBuffer(body)) {
    const slice = plan.range ? body.subarray(start, end + 1) : body
    void reply.send(slice)
    return slice.length
  }
  void reply.send(streamOf(body.file, o.bytes, start, end))
  return end - start + 1
}

/** A file's bytes start..end (inclusive) as a stream with our read-ahead; an empty object needs no file read. */
const streamOf = (file: string, bytes: number, start = 0, end = bytes - 1): NodeJS.ReadableStream | Buffer =>
  bytes === 0 ? Buffer.alloc(0) : createReadStream(file, { start, end, highWaterMark: STREAM_CHUNK_BYTES })

export interface TitleRouteOptions {
  /**
   * With a secret, `/t/<exp>/<sig>/titles/…` is accepted; `required` (default
   * true) then refuses plain `/titles/…` with 403. Without one, signed paths are 404.
   */
  signing?: { secret: string; required?: boolean }
  /** answer a request whose path and signature have been checked */
  serve: (req: FastifyRequest, reply: FastifyReply, t: TitlePath) => Promise<FastifyReply>
}

/** Register GET/HEAD/OPTIONS of `/titles/*` and `/t/*` on `app`, and 405 for every other method. */
export async function titleObjectRoutes(app: FastifyInstance, opts: TitleRouteOptions): Promise<void> {
  const checked = async (req: FastifyRequest, reply: FastifyReply, rawPath: string, token?: { expiry: string; sig: string }): Promise<FastifyReply> => {
    const parsed = parseTitlePath(rawPath)
    if (!parsed.ok) return failTitle(reply, 400, parsed.reason)
    const t = parsed.value
    if (opts.signing) {
      if (token) {
        const check = verifyTitleSignature(opts.signing.secret, t.titleId, token.expiry, token.sig, Math.floor(Date.now() / 1000))
        if (check !== 'ok') return failTitle(reply, 403, `signed URL ${check}`)
      } else if (opts.signing.required !== false) {
        return failTitle(reply, 403, 'this node serves signed URLs only')
      }
    } else if (token) {
      return failTitle(reply, 404, 'this node does not serve signed URLs')
    }
    return opts.serve(req, reply, t)
  }

  const method = ['GET', 'HEAD'] as ('GET' | 'HEAD')[]
  const rawPathOf = (req: FastifyRequest): string => (req.raw.url ?? '/').split('?')[0]!

  app.route({ method, url: '/titles/*', handler: (req, reply) => checked(req, reply, rawPathOf(req).slice(1)) })
  app.route({
    method,
    url: `${SIGNED_PREFIX}*`,
    handler: (req, reply) => {
      const m = /^\/t\/([^/]*)\/([^/]*)\/(.*)$/.exec(rawPathOf(req))
      if (!m) return failTitle(reply, 400, 'malformed signed path')
      return checked(req, reply, m[3]!, { expiry: m[1]!, sig: m[2]! })
    },
  })
  // Objects are read-only: any other method gets 405 with Allow (RFC 9110
  // §15.5.6), answered in onRequest so no request body is read or parsed.
  const other = app.supportedMethods.filter((m) => m !== 'GET' && m !== 'HEAD' && m !== 'OPTIONS')
  for (const url of ['/titles/*', `${SIGNED_PREFIX}*`]) {
    app.options(url, (_req, reply) => reply.code(204).headers(CORS_PREFLIGHT_HEADERS).send())
    app.route({
      method: other,
      url,
      onRequest: async (_req, reply) =>
        reply.code(405).headers(CORS_HEADERS).headers({ allow: 'GET, HEAD', 'cache-control': 'no-store' }).send({ error: 'method not allowed' }),
      handler: async (_req, reply) => reply,
    })
  }
}
