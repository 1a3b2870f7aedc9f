import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve, sep } from 'node:path'
import t from 'tap'
import ts from 'typescript'
import { repoRoot } from '../helpers/package.js'

/**
 * The house rule, checked on every import in the source tree (tests excluded: they test internals):
 *
 * - A *stage* is a room with a public entry `index.ts`: encoder and its Redis fleet (encoder/fleet,
 *   apart so that `oclab encode` without --queue never loads BullMQ), origin, oca, steering, console,
 *   the simulator (sim) and each of its products (sim/lint, sim/loadtest, sim/http-player). A file
 *   belongs to the stage with the longest matching folder, so sim/lint/x.ts is lint's, not sim's.
 * - Inside a stage, files import each other freely.
 * - From outside, a stage is entered only through its entries: its `index.ts`, or a light entry that
 *   package.json `exports` also lists (`oca/config.ts`: options without the server, so `--help` need not
 *   load Fastify). Importing encoder/jobs/chunks.ts from origin/ is the failure this test exists for.
 * - `lib/` is shared by all and imports no stage (it sits under them).
 * - `cli/` and `bench/` belong to no stage: they hold argument parsing and printing, and reach the
 *   stages through their entries and lib/ like any outside caller.
 * - Every stage entry is listed in package.json `exports`, so the entries are the public API.
 */
const STAGES = ['encoder', 'encoder/fleet', 'origin', 'oca', 'steering', 'console', 'sim', 'sim/lint', 'sim/loadtest', 'sim/http-player']
const SHARED = 'lib'
const CALLERS = ['cli', 'bench', 'bin']

const posix = (p: string): string => p.split(sep).join('/')

const EXPORTS = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { exports?: Record<string, string> }).exports ?? {}
/** Every file package.json exports, repo-relative: a stage's entries. */
const ENTRIES = new Set(Object.values(EXPORTS).map((p) => p.replace(/^\.\//, '')))

/** The stage a repo-relative path belongs to (longest folder match), or null. */
function stageOf(path: string): string | null {
  let best: string | null = null
  for (const s of STAGES) if ((path === s || path.startsWith(`${s}/`)) && (!best || s.length > best.length)) best = s
  return best
}

function sourceFiles(dir: string): string[] {
  const out: string[] = []
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name)
    if (e.isDirectory()) out.push(...sourceFiles(p))
    else if (/\.(ts|js)$/.test(e.name) && !e.name.endsWith('.d.ts')) out.push(p)
  }
  return out
}

/** Every relative import (static, dynamic, re-export, `import type`) of a file, as repo-relative .ts paths. */
function importsOf(file: string): string[] {
  const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true)
  return info.importedFiles
    .map((f) => f.fileName)
    .filter((spec) => spec.startsWith('.'))
    .map((spec) => {
      const abs = resolve(dirname(file), spec)
      const ts = abs.replace(/\.js$/, '.ts')
      return posix(relative(repoRoot, existsSync(ts) ? ts : abs))
    })
}

/** Why `from` may not import `to`, or null when it may. */
function violation(from: string, to: string): string | null {
  const target = stageOf(to)
  if (from.startsWith(`${SHARED}/`))
    return target || CALLERS.some((c) => to.startsWith(`${c}/`)) ? `lib/ is shared and imports no stage, but imports ${to}` : null
  if (to.startsWith(`${SHARED}/`) || !target) return null
  if (stageOf(from) === target) return null
  return to === `${target}/index.ts` || ENTRIES.has(to) ? null : `imports ${to}, an internal of ${target}/ (use ${target}/index.ts)`
}

t.test('the rule itself', async (t) => {
  t.equal(stageOf('sim/lint/hls.ts'), 'sim/lint')
  t.equal(stageOf('sim/engine/engine.ts'), 'sim')
  t.equal(stageOf('simulator/x.ts'), null, 'a folder match, not a prefix of a name')
  t.equal(violation('origin/server.ts', 'encoder/jobs/chunks.ts'), 'imports encoder/jobs/chunks.ts, an internal of encoder/ (use encoder/index.ts)')
  t.equal(violation('origin/server.ts', 'encoder/index.ts'), null)
  t.equal(violation('cli/encode.ts', 'encoder/ladder/ladder.ts'), 'imports encoder/ladder/ladder.ts, an internal of encoder/ (use encoder/index.ts)')
  t.equal(violation('sim/lint/hls.ts', 'sim/manifest/read-input.ts'), 'imports sim/manifest/read-input.ts, an internal of sim/ (use sim/index.ts)')
  t.equal(violation('sim/lint/hls.ts', 'sim/lint/hls-tags.ts'), null, 'inside a stage')
  t.equal(violation('sim/engine/sweep.ts', 'sim/abr/registry.ts'), null)
  t.equal(violation('lib/cluster.ts', 'oca/options.ts'), 'lib/ is shared and imports no stage, but imports oca/options.ts')
  t.equal(violation('steering/server.ts', 'lib/http/range.ts'), null)
  t.equal(violation('cli/oca.ts', 'oca/config.ts'), null, 'a light entry package.json exports')
  t.equal(
    violation('cli/oca.ts', 'oca/options.ts'),
    'imports oca/options.ts, an internal of oca/ (use oca/index.ts)',
    'what the light entry re-exports is still internal',
  )
})

t.test('no stage imports another stage’s internals', async (t) => {
  const roots = [...new Set([...STAGES.map((s) => s.split('/')[0]!), SHARED, ...CALLERS])]
  const files = roots.filter((r) => existsSync(join(repoRoot, r))).flatMap((r) => sourceFiles(join(repoRoot, r)))
  t.ok(files.length > 150, `read the source tree (${files.length} files)`)
  const found: string[] = []
  let imports = 0
  for (const file of files) {
    const from = posix(relative(repoRoot, file))
    for (const to of importsOf(file)) {
      imports++
      const why = violation(from, to)
      if (why) found.push(`${from} ${why}`)
    }
  }
  t.ok(imports > 500, `parsed ${imports} imports`)
  t.same(found, [], 'every import across stages goes through the stage’s index.ts')
})

t.test('every stage has an entry, listed in package.json exports', async (t) => {
  for (const s of STAGES) {
    t.ok(existsSync(join(repoRoot, s, 'index.ts')), `${s}/index.ts exists`)
    t.equal(EXPORTS[`./${s}`], `./${s}/index.ts`, `package.json exports ./${s}`)
  }
  for (const entry of ENTRIES) t.ok(existsSync(join(repoRoot, entry)), `package.json exports ${entry}, which exists`)
})
