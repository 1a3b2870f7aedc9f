import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import t from 'tap'
import { repoRoot } from '../helpers/package.js'

// `npm ci` warns EBADENGINE for every locked package whose engines.node excludes the running Node. The project
// declares the oldest Node it runs on; every package in the lockfile (dev ones too: `npm ci` installs them) must
// accept that version, or the declaration is not the truth. semver is npm's own range logic, here through tap's deps.
const require = createRequire(import.meta.url)
let semver: { minVersion(range: string): { version: string } | null; satisfies(v: string, range: string): boolean } | undefined
try {
  semver = require('semver')
} catch {
  semver = undefined
}

t.test('every locked package accepts the oldest Node the project declares', { skip: semver ? false : 'semver is not installed' }, async (t) => {
  const pkg = JSON.parse(await readFile(join(repoRoot, 'package.json'), 'utf8')) as { engines: { node: string } }
  const lock = JSON.parse(await readFile(join(repoRoot, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { version?: string; engines?: { node?: string } | string[]; optional?: boolean }>
  }
  const oldest = semver!.minVersion(pkg.engines.node)!.version
  t.equal(oldest, '20.19.0', 'package.json declares Node >= 20.19')
  const refused = Object.entries(lock.packages)
    .filter(([path, p]) => path !== '' && p.engines && !Array.isArray(p.engines) && p.engines.node && !semver!.satisfies(oldest, p.engines.node))
    .map(([path, p]) => `${path.replace(/^.*node_modules\//, '')}@${p.version} wants node ${(p.engines as { node: string }).node}`)
  t.same(refused, [], `no package refuses Node ${oldest}`)
})
