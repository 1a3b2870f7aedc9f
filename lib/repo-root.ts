import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * The checkout's root: the nearest folder above this module holding
 * package.json. The same code runs from the TypeScript sources (`lib/`) and
 * from the compiled build (`dist/lib/`), so paths to files outside the code
 * (bin/, console/public/, ../shared/) start here, not at `import.meta.url`.
 */
export const repoRoot: string = (() => {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir
    if (dirname(dir) === dir) throw new Error(`no package.json above ${fileURLToPath(import.meta.url)}`)
  }
})()
