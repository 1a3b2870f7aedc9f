import { cp, readdir, rename, symlink } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import t from 'tap'
import { ErrorCodes } from '../../lib/errors.js'
import { readTitle } from '../../lib/title-package.js'
import { ingestPackage } from '../../origin/ingest.js'
import { tempDir } from '../helpers/package.js'
import { clonePackage, twoRungPackage } from './helpers.js'

/**
 * Issue 15 #7: ingest copies what a path points at, so a symlink in a package
 * would take its target (another title, any file the operator can read) into
 * the store. Each link below points at bytes that pass the size and sha256
 * check, so only the link itself can be the reason for the refusal.
 */
const held = async (store: string): Promise<string[]> => (await readdir(join(store, 'titles')).catch(() => [] as string[])).filter((n) => !n.startsWith('.'))

t.test('ingest refuses symlinks: a listed file, a directory on the way, title.json, the package directory', async (t) => {
  const dir = await tempDir(t, 'oclab-ingest-link-')
  const pkg = await twoRungPackage(dir)
  const title = await readTitle(pkg)
  const seg = title.video[0]!.segments[0]!.uri
  const store = join(dir, 'store')

  const rejects = async (name: string, path: string, what: RegExp): Promise<void> => {
    await t.rejects(ingestPackage(path, store), { code: ErrorCodes.BAD_TITLE, message: what }, name)
    t.same(await held(store), [], `${name}: the store is untouched`)
  }

  // a segment that is a link to an identical copy outside the package
  const file = await clonePackage(pkg, join(dir, 'file'), 'file')
  await cp(join(file, seg), join(dir, 'outside.m4s'))
  await rename(join(file, seg), join(dir, 'moved.m4s'))
  await symlink(join(dir, 'outside.m4s'), join(file, seg))
  await rejects('a linked segment', file, new RegExp(`${seg}: is or passes through a symbolic link`))

  // a rendition directory that is a link to the real one elsewhere
  const tree = await clonePackage(pkg, join(dir, 'tree'), 'tree')
  const rendition = dirname(seg)
  await rename(join(tree, rendition), join(dir, 'elsewhere'))
  await symlink(join(dir, 'elsewhere'), join(tree, rendition))
  await rejects('a linked directory', tree, /passes through a symbolic link/)

  // title.json itself
  const json = await clonePackage(pkg, join(dir, 'json'), 'json')
  await rename(join(json, 'title.json'), join(dir, 'title.json'))
  await symlink(join(dir, 'title.json'), join(json, 'title.json'))
  await rejects('a linked title.json', json, /title\.json: is or passes through a symbolic link/)

  // the package directory given on the command line
  await symlink(pkg, join(dir, 'link-to-pkg'))
  await rejects('a linked package directory', join(dir, 'link-to-pkg'), /the package directory is a symbolic link/)

  t.equal((await ingestPackage(pkg, store)).outcome, 'added', 'the real package is taken in')
})
