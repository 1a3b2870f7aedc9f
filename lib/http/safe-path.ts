import { realpath } from 'node:fs/promises'
import { join, sep } from 'node:path'
import { isSafeTitleId } from '../title-package.js'

/**
 * Turn a request path into a file inside a title store, refusing anything
 * that could reach outside it. The rules are deliberately stricter than the
 * URL grammar: the store only holds title packages, whose paths are plain
 * `[A-Za-z0-9._-]` segments, so anything else is a client error.
 *
 * Checked on the raw (still percent-encoded) path, because the classic
 * bypasses hide in encodings: `%2e%2e`, `%2f`, `%5c`, `%00`, overlong UTF-8.
 */
export interface TitlePath {
  titleId: string
  /** path inside the title, `/`-separated, no leading slash */
  path: string
}

export type PathCheck = { ok: true; value: TitlePath } | { ok: false; reason: string }

export const MAX_PATH_LENGTH = 1024
const SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/

/**
 * Parse `titles/<titleId>/<path>` (the part after the mount point, raw, no
 * query). Percent-encoding is refused outright: package paths never need it.
 */
export function parseTitlePath(raw: string): PathCheck {
  if (raw.length > MAX_PATH_LENGTH) return { ok: false, reason: 'path too long' }
  if (raw.includes('%')) return { ok: false, reason: 'percent-encoded path' }
  if (raw.includes('\\') || raw.includes('\0')) return { ok: false, reason: 'illegal character in path' }
  const parts = raw.split('/')
  if (parts[0] !== 'titles' || parts.length < 3) return { ok: false, reason: 'not a title path' }
  const titleId = parts[1]!
  if (!isSafeTitleId(titleId)) return { ok: false, reason: 'bad title id' }
  const rest = parts.slice(2)
  for (const seg of rest) {
    // A segment made only of dots is `.`/`..` or a trick on some filesystem; SEGMENT also bars dotfiles (our temp names).
    if (!SEGMENT.test(seg) || /^\.+$/.test(seg)) return { ok: false, reason: 'bad path segment' }
  }
  return { ok: true, value: { titleId, path: rest.join('/') } }
}

/** Validate a package-relative file path from an admin request (fill lists). */
export function isSafeRelativePath(path: string): boolean {
  if (path.length === 0 || path.length > MAX_PATH_LENGTH) return false
  return path.split('/').every((seg) => SEGMENT.test(seg) && !/^\.+$/.test(seg))
}

/** `<storeDir>/titles/<titleId>/<path>`, for a path already checked by parseTitlePath. */
export const titleFile = (storeDir: string, t: TitlePath): string => join(storeDir, 'titles', t.titleId, ...t.path.split('/'))

/**
 * Resolve symlinks and confirm the real file is still under the store's real
 * titles directory: an operator's (or attacker's) symlink must not publish
 * /etc. Returns undefined when the file is missing or escapes.
 */
export async function realFileInside(storeDir: string, file: string): Promise<string | undefined> {
  try {
    const [root, real] = await Promise.all([realpath(join(storeDir, 'titles')), realpath(file)])
    return real.startsWith(root + sep) ? real : undefined
  } catch {
    return undefined
  }
}
