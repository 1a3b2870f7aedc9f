/**
 * `npm run bench -- <name> [args]`: each benchmark is bench/<name>.ts exporting
 * `run(args)`. With no name, lists them. Benchmarks print ratios against a
 * baseline measured in the same run; they are never part of `npm test`.
 */
import { readdir } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const names = (await readdir(here)).filter((f) => f.endsWith('.ts') && f !== 'run.ts' && !f.startsWith('_')).map((f) => f.slice(0, -3))
const [name, ...args] = process.argv.slice(2)
if (!name || !names.includes(name)) {
  console.error(`usage: npm run bench -- <${names.join('|')}> [args]`)
  process.exit(name ? 2 : 0)
}
const mod = (await import(join(here, `${name}.ts`))) as { run: (args: string[]) => Promise<void> }
await mod.run(args)
