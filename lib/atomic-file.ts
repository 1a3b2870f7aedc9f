import { randomBytes } from 'node:crypto'
import { mkdir, open, rename, rm } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'

/** A temp name beside `path` (same directory, so the final rename is atomic on one filesystem). */
export const tempNameFor = (path: string): string => join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`)

/**
 * Write `data` so that `path` either holds the old content or all of the new:
 * write a temp name, fsync, rename, fsync the directory. Readers never see a
 * half-written file under the final name.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true })
  const tmp = tempNameFor(path)
  try {
    const fh = await open(tmp, 'w')
    try {
      await fh.writeFile(data)
      await fh.sync()
    } finally {
      await fh.close()
    }
    await rename(tmp, path)
  } catch (err) {
    await rm(tmp, { force: true })
    throw err
  }
  await syncDir(dirname(path))
}

/** Move a finished temp file into place atomically (the caller wrote and fsynced it). */
export async function commitFile(tmp: string, path: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true })
  await rename(tmp, path)
  await syncDir(dirname(path))
}

async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r')
  try {
    await fh.sync()
  } catch {
    // Some filesystems refuse fsync on a directory; the rename is still atomic.
  } finally {
    await fh.close()
  }
}
