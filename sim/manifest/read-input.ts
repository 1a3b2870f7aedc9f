import { open } from 'node:fs/promises'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { ErrorCodes, OclabError } from '../../lib/errors.js'
import { DEFAULT_MAX_INPUT_BYTES } from './limits.js'

/** How sim and lint read their inputs. */
export interface InputOptions {
  /** Refuse any one file or HTTP body larger than this (default DEFAULT_MAX_INPUT_BYTES). */
  maxInputBytes?: number
}

/** Timeouts for manifests fetched over HTTP (explicit, not hidden in undici's defaults). */
export const FETCH_TIMEOUT_MS = 10_000

/** A local path or an http(s)/file URL, as a URL (relative references resolve against it). */
export function toUrl(pathOrUrl: string): URL {
  if (/^(https?|file):\/\//i.test(pathOrUrl)) return new URL(pathOrUrl)
  return pathToFileURL(pathOrUrl)
}

/** Display name: the path for files, the URL otherwise. */
export const displayName = (url: URL): string => (url.protocol === 'file:' ? fileURLToPath(url) : url.href)

const tooLarge = (name: string, maxBytes: number, found?: string): OclabError =>
  new OclabError(
    ErrorCodes.INPUT_TOO_LARGE,
    `${name}${found ? ` (${found})` : ''} is larger than the input limit of ${maxBytes} bytes (raise it with --max-input <MiB>)`,
  )

/**
 * A whole local file, refused with INPUT_TOO_LARGE past `maxBytes`: checked
 * from its size before reading, and again while reading, so a device or FIFO
 * that never ends (/dev/zero) is cut off at the limit instead of filling memory.
 * Other failures are the fs error, for the caller to wrap.
 */
export async function readFileLimited(path: string | URL, maxBytes: number, name = String(path)): Promise<Buffer> {
  const fh = await open(path, 'r')
  try {
    const { size } = await fh.stat()
    if (size > maxBytes) throw tooLarge(name, maxBytes, `${size} bytes`)
    const chunks: Buffer[] = []
    let total = 0
    for (;;) {
      const buf = Buffer.alloc(Math.min(1 << 20, maxBytes + 1 - total))
      const { bytesRead } = await fh.read(buf, 0, buf.length, null)
      if (bytesRead === 0) break
      chunks.push(buf.subarray(0, bytesRead))
      total += bytesRead
      if (total > maxBytes) throw tooLarge(name, maxBytes)
    }
    return Buffer.concat(chunks, total)
  } finally {
    await fh.close()
  }
}

/**
 * Read a manifest's bytes (or a byte range of a media file) from disk or over
 * HTTP with undici, refusing more than `maxBytes` (INPUT_TOO_LARGE) whether
 * the size is declared (file size, Content-Length, range) or only found while reading.
 */
export async function fetchBytes(url: URL, range?: { offset: number; length: number }, maxBytes = DEFAULT_MAX_INPUT_BYTES): Promise<Buffer> {
  const name = displayName(url)
  const fail = (why: string, cause?: unknown) =>
    new OclabError(ErrorCodes.BAD_MANIFEST, `cannot read ${name}: ${why}`, undefined, cause === undefined ? undefined : { cause })
  if (range && range.length > maxBytes) throw tooLarge(name, maxBytes, `a ${range.length}-byte range`)
  if (url.protocol === 'file:') {
    try {
      if (!range) return await readFileLimited(url, maxBytes, name)
      const fh = await open(url, 'r')
      try {
        const buf = Buffer.alloc(range.length)
        const { bytesRead } = await fh.read(buf, 0, range.length, range.offset)
        if (bytesRead < range.length) throw fail(`bytes ${range.offset}-${range.offset + range.length - 1} are past the end of the file`)
        return buf
      } finally {
        await fh.close()
      }
    } catch (err) {
      if (err instanceof OclabError) throw err
      throw fail((err as Error).message, err)
    }
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw fail(`unsupported URL scheme ${url.protocol}`)
  let res: Awaited<ReturnType<typeof import('undici').request>>
  // undici is loaded for the first URL, not with the CLI (start-up time)
  const { request } = await import('undici')
  try {
    res = await request(url, {
      headers: range ? { range: `bytes=${range.offset}-${range.offset + range.length - 1}` } : {},
      headersTimeout: FETCH_TIMEOUT_MS,
      bodyTimeout: FETCH_TIMEOUT_MS,
    })
  } catch (err) {
    throw fail((err as Error).message, err)
  }
  // A server that ignores Range answers 200 with the whole object: that is what arrives, so that is what the limit bounds.
  const declared = Number(res.headers['content-length'])
  // Destroying the body makes undici emit an AbortError: it is expected, so it is swallowed rather than left uncaught.
  const discard = () => res.body.on('error', () => {}).destroy()
  if (declared > maxBytes) {
    discard()
    throw tooLarge(name, maxBytes, `Content-Length ${declared}`)
  }
  const chunks: Buffer[] = []
  let total = 0
  try {
    for await (const chunk of res.body) {
      total += (chunk as Buffer).length
      if (total > maxBytes) {
        discard()
        throw tooLarge(name, maxBytes)
      }
      chunks.push(chunk as Buffer)
    }
  } catch (err) {
    if (err instanceof OclabError) throw err
    throw fail((err as Error).message, err)
  }
  const body = Buffer.concat(chunks, total)
  if (res.statusCode !== 200 && res.statusCode !== 206) throw fail(`HTTP ${res.statusCode}`)
  if (range && res.statusCode === 200) return body.subarray(range.offset, range.offset + range.length)
  return body
}

export async function fetchText(url: URL, maxBytes = DEFAULT_MAX_INPUT_BYTES): Promise<string> {
  return (await fetchBytes(url, undefined, maxBytes)).toString('utf8')
}
