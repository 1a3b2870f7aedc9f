import { spawn } from 'node:child_process'
import { mkdir, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import { BUILD_STAMP, compiledIsFresh, SOURCE_DIRS } from '../../bin/fresh-build.js'
import { repoRoot, tempDir } from '../helpers/package.js'

const at = (path: string, seconds: number) => utimes(path, seconds, seconds)

t.test('the compiled build counts as fresh only when it is newer than every source and tsconfig', async (t) => {
  const root = await tempDir(t)
  await mkdir(join(root, 'sim', 'engine'), { recursive: true })
  await mkdir(join(root, 'dist'), { recursive: true })
  const source = join(root, 'sim', 'engine', 'session.ts')
  await writeFile(source, 'export {}\n')
  await writeFile(join(root, 'tsconfig.json'), '{}\n')
  await at(source, 1000)
  await at(join(root, 'tsconfig.json'), 1000)
  t.equal(compiledIsFresh(root), false, 'no build stamp: never built')
  await writeFile(join(root, BUILD_STAMP), 'x\n')
  await at(join(root, BUILD_STAMP), 2000)
  t.equal(compiledIsFresh(root), true, 'stamp newer than every input')
  await at(source, 3000)
  t.equal(compiledIsFresh(root), false, 'a source edited after the build (deep in a folder)')
  await at(source, 1000)
  await at(join(root, 'tsconfig.json'), 3000)
  t.equal(compiledIsFresh(root), false, 'compiler options changed after the build')
  t.same(SOURCE_DIRS.sort(), ['cli', 'console', 'encoder', 'lib', 'oca', 'origin', 'sim', 'steering'], 'the folders tsconfig.build.json compiles')
})

const run = (env: Record<string, string>) =>
  new Promise<{ code: number | null; out: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [join(repoRoot, 'bin', 'oclab.js'), 'sim', '--help'], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, out }))
  })

t.test('bin/oclab.js answers the same through tsx and through whatever build is present', async (t) => {
  const tsx = await run({ OCLAB_TSX: '1' })
  const usual = await run({})
  t.equal(tsx.code, 0)
  t.equal(usual.code, 0)
  t.match(tsx.out, /oclab sim/)
  t.equal(usual.out, tsx.out)
})
