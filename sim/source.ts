import { open, readFile } from 'node:fs/promises'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { request } from 'undici'
import { ErrorCodes, OclabError } from '../lib/errors.js'

/** Timeouts for manifests fetched over HTTP (explicit, not hidden in undici's defaults). */
export const FETCH_TIMEOUT_MS = 10_000

/** A local path or an http(s)/file URL, as a URL (relative references resolve against it). */
export function toUrl(pathOrUrl: string): URL {
  if (/^(https?|file):\/\//i.test(pathOrUrl)) return new URL(pathOrUrl)
  return pathToFileURL(pathOrUrl)
}

/** Display name: the path for files, the URL otherwise. */
export const displayName = (url: URL): string => (url.protocol === 'file:' ? fileURLToPath(url) : url.href)

/** Read a manifest's bytes (or a byte range of a media file) from disk or over HTTP with undici. */
export async function fetchBytes(url: URL, range?: { offset: number; length: number }): Promise<Buffer> {
  const name = displayName(url)
  const fail = (why: string) => new OclabError(ErrorCodes.BAD_MANIFEST, `cannot read ${name}: ${why}`)
  if (url.protocol === 'file:') {
    try {
      if (!range) return await readFile(url)
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
      throw fail((err as Error).message)
    }
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw fail(`unsupported URL scheme ${url.protocol}`)
  let res
  try {
    res = await request(url, {
      headers: range ? { range: `bytes=${range.offset}-${range.offset + range.length - 1}` } : {},
      headersTimeout: FETCH_TIMEOUT_MS,
      bodyTimeout: FETCH_TIMEOUT_MS,
    })
  } catch (err) {
    throw fail((err as Error).message)
  }
  const body = Buffer.from(await res.body.arrayBuffer())
  if (res.statusCode !== 200 && res.statusCode !== 206) throw fail(`HTTP ${res.statusCode}`)
  if (range && res.statusCode === 200) return body.subarray(range.offset, range.offset + range.length)
  return body
}

export async function fetchText(url: URL): Promise<string> {
  return (await fetchBytes(url)).toString('utf8')
}
