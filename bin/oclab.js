#!/usr/bin/env node
// The CLI runs compiled (dist/, from `npm run build`, which `npm ci` runs as
// "prepare") when that build is newer than every TypeScript source, else the
// sources through tsx: an edited checkout never runs stale code, and a fresh
// clone needs no build step. Compiled, `oclab --help` starts in ~0.1 s; tsx
// alone costs ~0.25 s of CPU before oclab's first line. OCLAB_TSX=1 forces tsx.
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { compiledIsFresh } from './fresh-build.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
let main
if (process.env.OCLAB_TSX !== '1' && compiledIsFresh(root)) {
  ;({ main } = await import('../dist/cli/main.js'))
} else {
  const { register } = await import('tsx/esm/api')
  register()
  ;({ main } = await import('../cli/main.ts'))
}
process.exitCode = await main(process.argv.slice(2))
