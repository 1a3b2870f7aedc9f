import { createHash } from 'node:crypto'
import { mkdir, open, rm } from 'node:fs/promises'
import { dirname } from 'node:path'
import { type Dispatcher, request } from 'undici'
import { tempNameFor } from '../lib/atomic-file.js'
import { ErrorCodes, OclabError } from '../lib/errors.js'
import { parseReprDigest } from '../lib/http/repr-digest.js'

/**
 * Fetch one object from the parent into a temp file beside its final name,
 * hashing as it goes. Nothing is ever written under the final name here: the
 * caller commits the temp file only after checking the result, and every
 * failure path removes the temp file.
 *
 * Verification: the sha256 to check is the caller's (a fill list, a held
 * title.json) or else the parent's RFC 9530 `Repr-Digest`. With
 * `requireVerification` a parent that gives no digest when the caller has
 * none is refused before a body byte is read: an unverifiable body would be
 * stored and served as an immutable HIT.
 */
export interface DownloadOptions {
  dispatcher: Dispatcher
  signal?: AbortSignal
  headersTimeoutMs: number
  bodyTimeoutMs: number
  /** the size the caller expects (from a fill list); a different size fails the download */
  expectBytes?: number
  /** the hash the caller expects; a mismatch fails with CHECKSUM_MISMATCH */
  expectSha256?: string
  /** refuse the parent's answer when neither `expectSha256` nor its Repr-Digest gives a hash to check */
  requireVerification?: boolean
  /** extra request headers (e.g. the admin token for a parent OCA) */
  headers?: Record<string, string>
  /** parent answered 200: its declared length and ETag, and the sha256 the body will be verified against, before any body byte */
  onResponse?: (info: { size?: number; etag?: string; sha256?: string }) => void | Promise<void>
  /** each body chunk after it is written (fan-out to waiting clients, throttling) */
  onChunk?: (chunk: Buffer) => void | Promise<void>
}

export interface Downloaded {
  tmp: string
  bytes: number
  sha256: string
}

/**
 * Why a parent's bytes were not accepted as the object: `digest-mismatch`
 * (sha256 differs from the expected one or the parent's Repr-Digest),
 * `size-mismatch` (length differs from the listed size), `truncated` (the
 * body ended before its Content-Length, or the connection broke mid-body),
 * `no-digest` (nothing to verify against).
 */
export type VerifyFailure = 'digest-mismatch' | 'size-mismatch' | 'truncated' | 'no-digest'

/** What went wrong with the parent, mapped to the status a waiting client gets. */
export class ParentError extends OclabError {
  constructor(
    message: string,
    readonly status: 404 | 502 | 504,
    code: typeof ErrorCodes.PARENT_FAILED | typeof ErrorCodes.CHECKSUM_MISMATCH = ErrorCodes.PARENT_FAILED,
    /** set when the parent answered but its body failed verification */
    readonly verify?: VerifyFailure,
  ) {
    super(code, message)
  }
}

const unverified = (message: string, verify: VerifyFailure): ParentError => new ParentError(message, 502, ErrorCodes.CHECKSUM_MISMATCH, verify)

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT'])

function toParentError(err: unknown, url: string, midBody: boolean): ParentError {
  if (err instanceof ParentError) return err
  const code = (err as { code?: string }).code ?? ''
  const status = TIMEOUT_CODES.has(code) ? 504 : 502
  // A break after the headers leaves a short body: counted as a failed verification too.
  return new ParentError(
    `parent fetch ${url} failed: ${(err as Error).message}${code ? ` (${code})` : ''}`,
    status,
    ErrorCodes.PARENT_FAILED,
    midBody ? 'truncated' : undefined,
  )
}

export async function download(url: string, finalPath: string, opts: DownloadOptions): Promise<Downloaded> {
  await mkdir(dirname(finalPath), { recursive: true })
  const tmp = tempNameFor(finalPath)
  let fh: Awaited<ReturnType<typeof open>> | undefined
  let midBody = false
  try {
    const res = await request(url, {
      method: 'GET',
      dispatcher: opts.dispatcher,
      signal: opts.signal,
      headersTimeout: opts.headersTimeoutMs,
      bodyTimeout: opts.bodyTimeoutMs,
      headers: opts.headers,
    })
    if (res.statusCode !== 200) {
      await res.body.dump()
      throw new ParentError(`parent answered ${res.statusCode} for ${url}`, res.statusCode === 404 ? 404 : 502)
    }
    const cl = res.headers['content-length']
    const size = typeof cl === 'string' && /^\d+$/.test(cl) ? Number(cl) : undefined
    if (opts.expectBytes !== undefined && size !== undefined && size !== opts.expectBytes) {
      await res.body.dump()
      throw unverified(`parent sent ${size} bytes for ${url}, expected ${opts.expectBytes}`, 'size-mismatch')
    }
    const digest = parseReprDigest(res.headers['repr-digest'])
    if (opts.expectSha256 !== undefined && digest !== undefined && digest !== opts.expectSha256) {
      await res.body.dump()
      throw unverified(`parent's Repr-Digest for ${url} (sha256 ${digest}) is not the listed ${opts.expectSha256}`, 'digest-mismatch')
    }
    const want = opts.expectSha256 ?? digest
    if (want === undefined && opts.requireVerification) {
      await res.body.dump()
      throw unverified(`parent sent no Repr-Digest for ${url} and no title.json lists it: refusing unverifiable bytes`, 'no-digest')
    }
    const etag = res.headers.etag
    await opts.onResponse?.({ size, etag: typeof etag === 'string' && !etag.startsWith('W/') ? etag : undefined, sha256: want })
    midBody = true
    fh = await open(tmp, 'w')
    const hash = createHash('sha256')
    let bytes = 0
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      hash.update(chunk)
      bytes += chunk.length
      await fh.write(chunk)
      await opts.onChunk?.(chunk)
    }
    if (size !== undefined && bytes !== size) throw unverified(`parent closed ${url} after ${bytes} of ${size} bytes`, 'truncated')
    const sha256 = hash.digest('hex')
    if (opts.expectBytes !== undefined && bytes !== opts.expectBytes) {
      throw unverified(`${url}: got ${bytes} bytes, expected ${opts.expectBytes}`, 'size-mismatch')
    }
    if (want !== undefined && sha256 !== want) {
      throw unverified(
        `${url}: sha256 ${sha256} does not match the ${opts.expectSha256 !== undefined ? 'listed' : "parent's Repr-Digest"} ${want}`,
        'digest-mismatch',
      )
    }
    await fh.sync()
    await fh.close()
    fh = undefined
    return { tmp, bytes, sha256 }
  } catch (err) {
    await fh?.close().catch(() => undefined)
    await rm(tmp, { force: true })
    throw toParentError(err, url, midBody)
  }
}
