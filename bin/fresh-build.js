// Is the compiled build (dist/) newer than every source it was built from?
// bin/oclab.js runs dist/ only then, so an edited checkout never runs stale code.
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

/** The folders tsconfig.build.json compiles. */
export const SOURCE_DIRS = ['lib', 'cli', 'encoder', 'origin', 'oca', 'steering', 'sim', 'console']
/** Written by `npm run build` after tsc succeeded (tsc's own .tsbuildinfo is not rewritten when nothing changed). */
export const BUILD_STAMP = join('dist', '.built')

const mtime = (path) => {
  try {
    return statSync(path).mtimeMs
  } catch {
    return -1
  }
}

const newestTs = (dir) => {
  let newest = -1
  let entries
  try {
    entries = readdirSync(dir, { withFileTypes: true })
  } catch {
    return newest
  }
  for (const e of entries) {
    const path = join(dir, e.name)
    if (e.isDirectory()) newest = Math.max(newest, newestTs(path))
    else if (e.name.endsWith('.ts')) newest = Math.max(newest, mtime(path))
  }
  return newest
}

/** true when `root`'s build stamp exists and is newer than every .ts under SOURCE_DIRS and both tsconfigs. */
export function compiledIsFresh(root) {
  const builtAt = mtime(join(root, BUILD_STAMP))
  if (builtAt < 0) return false
  const inputs = [...SOURCE_DIRS.map((d) => newestTs(join(root, d))), mtime(join(root, 'tsconfig.json')), mtime(join(root, 'tsconfig.build.json'))]
  return inputs.every((t) => t < builtAt)
}
