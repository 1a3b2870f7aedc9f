import { createHash } from 'node:crypto'
import { mkdir, open, rm } from 'node:fs/promises'
import { dirname } from 'node:path'
import { request, type Dispatcher } from 'undici'
import { tempNameFor } from '../lib/atomic-file.js'
import { ErrorCodes, OclabError } from '../lib/errors.js'

/**
 * Fetch one object from the parent into a temp file beside its final name,
 * hashing as it goes. Nothing is ever written under the final name here: the
 * caller commits the temp file only after checking the result, and every
 * failure path removes the temp file.
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
  /** extra request headers (e.g. the admin token for a parent OCA) */
  headers?: Record<string, string>
  /** parent answered 200: its declared length and ETag, before any body byte */
  onResponse?: (info: { size?: number; etag?: string }) => void | Promise<void>
  /** each body chunk after it is written (fan-out to waiting clients, throttling) */
  onChunk?: (chunk: Buffer) => void | Promise<void>
}

export interface Downloaded {
  tmp: string
  bytes: number
  sha256: string
}

/** What went wrong with the parent, mapped to the status a waiting client gets. */
export class ParentError extends OclabError {
  constructor(
    message: string,
    readonly status: 404 | 502 | 504,
    code: typeof ErrorCodes.PARENT_FAILED | typeof ErrorCodes.CHECKSUM_MISMATCH = ErrorCodes.PARENT_FAILED,
  ) {
    super(code, message)
  }
}

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT'])

function toParentError(err: unknown, url: string): ParentError {
  if (err instanceof ParentError) return err
  const code = (err as { code?: string }).code ?? ''
  const status = TIMEOUT_CODES.has(code) ? 504 : 502
  return new ParentError(`parent fetch ${url} failed: ${(err as Error).message}${code ? ` (${code})` : ''}`, status)
}

export async function download(url: string, finalPath: string, opts: DownloadOptions): Promise<Downloaded> {
  await mkdir(dirname(finalPath), { recursive: true })
  const tmp = tempNameFor(finalPath)
  let fh: Awaited<ReturnType<typeof open>> | undefined
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
      throw new ParentError(`parent sent ${size} bytes for ${url}, expected ${opts.expectBytes}`, 502, ErrorCodes.CHECKSUM_MISMATCH)
    }
    const etag = res.headers.etag
    await opts.onResponse?.({ size, etag: typeof etag === 'string' && !etag.startsWith('W/') ? etag : undefined })
    fh = await open(tmp, 'w')
    const hash = createHash('sha256')
    let bytes = 0
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      hash.update(chunk)
      bytes += chunk.length
      await fh.write(chunk)
      await opts.onChunk?.(chunk)
    }
    if (size !== undefined && bytes !== size) throw new ParentError(`parent closed ${url} after ${bytes} of ${size} bytes`, 502)
    await fh.sync()
    await fh.close()
    fh = undefined
    const sha256 = hash.digest('hex')
    if (opts.expectBytes !== undefined && bytes !== opts.expectBytes) {
      throw new ParentError(`${url}: got ${bytes} bytes, expected ${opts.expectBytes}`, 502, ErrorCodes.CHECKSUM_MISMATCH)
    }
    if (opts.expectSha256 !== undefined && sha256 !== opts.expectSha256) {
      throw new ParentError(`${url}: sha256 ${sha256} does not match the expected ${opts.expectSha256}`, 502, ErrorCodes.CHECKSUM_MISMATCH)
    }
    return { tmp, bytes, sha256 }
  } catch (err) {
    await fh?.close().catch(() => undefined)
    await rm(tmp, { force: true })
    throw toParentError(err, url)
  }
}
