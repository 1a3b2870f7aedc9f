import { copyFile, mkdir, rm, stat } from 'node:fs/promises'
import { extname, isAbsolute, join, relative, resolve, sep } from 'node:path'
import { commitFile, tempNameFor } from '../../lib/atomic-file.js'
import { ErrorCodes, OclabError } from '../../lib/errors.js'
import { sha256File } from '../../lib/hash.js'

/**
 * Where a fleet's chunk inputs and outputs live, named by storage keys
 * (`sources/<sha256>.mp4`, `.work/<titleId>/fleet/...`) so a job never carries
 * a path that only exists on the machine that submitted it. Each machine
 * resolves a key against its own mount.
 *
 * The shared-directory backend below is what a fleet mounts over NFS/EFS:
 * ffmpeg reads and writes the files in place, and every write is a temp name
 * plus rename, so a reader sees a whole file or none. An S3 backend implements
 * the same interface with @aws-sdk/client-s3: `localPath` downloads the object
 * to a local cache (or hands ffmpeg a presigned URL, which it can seek), a
 * worker encodes into a local scratch directory and `put`s each finished file
 * (PutObject is atomic per key), and `stat` is HeadObject.
 */
export interface Storage {
  /** For messages: `dir:/mnt/fleet`, `s3://bucket/prefix`. */
  readonly describe: string
  /** A local file or directory for `key` on this machine. */
  localPath(key: string): string
  /** The key of a local path inside this storage, or null when it lies outside. */
  keyOf(path: string): string | null
  /** Publish a local file under `key` atomically. */
  put(key: string, file: string): Promise<void>
  /** Size of the object at `key`, or null when there is none. */
  stat(key: string): Promise<{ bytes: number } | null>
  sha256(key: string): Promise<string>
}

const KEY_SEGMENT = /^[A-Za-z0-9_.-]+$/

/** Keys are relative `/`-separated names: no empty, `.` or `..` segments, nothing a path could escape with. */
export function isSafeKey(key: string): boolean {
  if (!key || key.length > 1024) return false
  return key.split('/').every((s) => KEY_SEGMENT.test(s) && !/^\.+$/.test(s))
}

export function sharedDirStorage(root: string): Storage {
  const base = resolve(root)
  const localPath = (key: string): string => {
    if (!isSafeKey(key)) throw new OclabError(ErrorCodes.USAGE, `bad storage key "${key}"`)
    return join(base, ...key.split('/'))
  }
  return {
    describe: `dir:${base}`,
    localPath,
    keyOf(path) {
      const rel = relative(base, resolve(path))
      if (!rel || rel.startsWith('..') || isAbsolute(rel)) return null
      const key = rel.split(sep).join('/')
      return isSafeKey(key) ? key : null
    },
    async put(key, file) {
      const final = localPath(key)
      await mkdir(join(final, '..'), { recursive: true })
      const tmp = tempNameFor(final)
      try {
        await copyFile(file, tmp)
        await commitFile(tmp, final)
      } catch (err) {
        await rm(tmp, { force: true })
        throw err
      }
    },
    async stat(key) {
      try {
        return { bytes: (await stat(localPath(key))).size }
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
        throw err
      }
    },
    sha256: (key) => sha256File(localPath(key)),
  }
}

/**
 * The key of a local input file in storage, uploading it when it is not there
 * yet. Inputs outside the storage are content-addressed (`<prefix>/<sha256><ext>`):
 * two submitters of the same bytes share one key, and no two different inputs
 * can ever be written under the same one.
 */
export async function inputKey(storage: Storage, file: string, prefix: string): Promise<string> {
  const inside = storage.keyOf(file)
  if (inside) return inside
  const ext = extname(file)
    .toLowerCase()
    .replace(/[^a-z0-9.]/g, '')
  const key = `${prefix}/${await sha256File(file)}${ext}`
  const have = await storage.stat(key)
  if (!have || have.bytes !== (await stat(file)).size) await storage.put(key, file)
  return key
}
