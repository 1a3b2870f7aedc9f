import { randomBytes } from 'node:crypto'
import { copyFile, lstat, mkdir, open, readFile, realpath, rename, rm, stat } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { ErrorCodes, OclabError } from '../lib/errors.js'
import { readTitle, type Title } from '../lib/title-package.js'
import { checkPackage } from './package-check.js'

/**
 * `oclab origin ingest <package-dir>`: take a title package into the master
 * store, all or nothing. Only the files title.json lists are copied, into a
 * staging directory beside the titles; the copy (the bytes actually kept) is
 * checked in full; only then is it renamed into `<store>/titles/<id>`. A
 * package with any problem is rejected whole with the list of problems and
 * leaves the store untouched. Ingesting the same package again is a no-op;
 * a different package under the same id replaces the old one in one rename.
 *
 * Symlinks are refused (the package directory itself, title.json, any listed
 * file or a directory on its way): a copy follows them, so a link would take
 * whatever it points at (another title, /etc/…) into the store as verified
 * content of this one.
 */
export interface IngestResult {
  titleId: string
  files: number
  bytes: number
  outcome: 'added' | 'replaced' | 'unchanged'
}

async function copySynced(from: string, to: string): Promise<void> {
  await mkdir(dirname(to), { recursive: true })
  await copyFile(from, to)
  const fh = await open(to, 'r+')
  try {
    await fh.sync()
  } finally {
    await fh.close()
  }
}

/** Paths of the package that are, or pass through, a symbolic link. */
async function symlinksIn(packageDir: string, paths: string[]): Promise<string[]> {
  if ((await lstat(packageDir).catch(() => undefined))?.isSymbolicLink()) return ['the package directory']
  const root = await realpath(packageDir)
  const linked: string[] = []
  for (const path of paths) {
    const parts = path.split('/')
    // realpath resolves every component: anything but the literal path means a link on the way
    const real = await realpath(join(packageDir, ...parts)).catch(() => undefined)
    if (real !== undefined && real !== join(root, ...parts)) linked.push(path)
  }
  return linked
}

export async function ingestPackage(packageDir: string, storeDir: string): Promise<IngestResult> {
  const rootLinked = await symlinksIn(packageDir, [])
  if (rootLinked.length)
    throw new OclabError(ErrorCodes.BAD_TITLE, `package ${packageDir} rejected: ${rootLinked[0]} is a symbolic link (give the real directory)`, rootLinked)
  let title: Title
  try {
    title = await readTitle(packageDir)
  } catch (err) {
    throw new OclabError(ErrorCodes.BAD_TITLE, `package ${packageDir} rejected:\n  ${(err as Error).message}`, [(err as Error).message])
  }
  const linked = await symlinksIn(packageDir, ['title.json', ...title.files.map((f) => f.path)])
  if (linked.length) {
    const problems = linked.map((p) => `${p}: is or passes through a symbolic link (a package holds regular files only)`)
    throw new OclabError(
      ErrorCodes.BAD_TITLE,
      `package ${packageDir} rejected (${problems.length} problem${problems.length > 1 ? 's' : ''}):\n  ${problems.join('\n  ')}`,
      problems,
    )
  }
  const titles = join(storeDir, 'titles')
  const final = join(titles, title.id)
  const incoming = await readFile(join(packageDir, 'title.json'))
  const existing = await readFile(join(final, 'title.json')).catch(() => undefined)
  if (existing?.equals(incoming)) {
    const held = await checkPackage(final)
    if (held.problems.length === 0)
      return { titleId: title.id, files: title.files.length, bytes: title.files.reduce((a, f) => a + f.bytes, 0), outcome: 'unchanged' }
  }

  const staging = join(titles, `.ingest-${title.id}-${randomBytes(4).toString('hex')}`)
  const problems: string[] = []
  try {
    for (const f of title.files) {
      const from = join(packageDir, ...f.path.split('/'))
      if (!(await stat(from).catch(() => undefined))?.isFile()) continue // reported by the check below
      await copySynced(from, join(staging, ...f.path.split('/')))
    }
    await copySynced(join(packageDir, 'title.json'), join(staging, 'title.json'))
    problems.push(...(await checkPackage(staging)).problems)
    if (problems.length)
      throw new OclabError(
        ErrorCodes.BAD_TITLE,
        `package ${packageDir} rejected (${problems.length} problem${problems.length > 1 ? 's' : ''}):\n  ${problems.join('\n  ')}`,
        problems,
      )
    let outcome: IngestResult['outcome'] = 'added'
    if (existing) {
      // Move the old copy aside first: rename cannot replace a non-empty directory.
      const old = join(titles, `.replaced-${title.id}-${randomBytes(4).toString('hex')}`)
      await rename(final, old)
      await rename(staging, final)
      await rm(old, { recursive: true, force: true })
      outcome = 'replaced'
    } else {
      await rename(staging, final)
    }
    return { titleId: title.id, files: title.files.length, bytes: title.files.reduce((a, f) => a + f.bytes, 0), outcome }
  } finally {
    await rm(staging, { recursive: true, force: true })
  }
}
