import { spawn } from 'node:child_process'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import t from 'tap'
import { readTitle } from '../../lib/title-package.js'
import { repoRoot, tempDir, testSource } from '../helpers/package.js'

interface Event {
  type: string
  state?: string
  resumed?: boolean
  key?: string
}

/** Run `oclab encode --json`, collecting its events; `killAfter` SIGKILLs it after that many finished jobs. */
function encodeCli(args: string[], killAfter?: number): Promise<{ events: Event[]; code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(repoRoot, 'bin', 'oclab.js'), 'encode', ...args, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] })
    const events: Event[] = []
    let done = 0
    createInterface({ input: child.stdout }).on('line', (line) => {
      const e = JSON.parse(line) as Event
      events.push(e)
      if (e.type === 'job' && e.state === 'done' && ++done === killAfter) child.kill('SIGKILL')
    })
    child.on('error', reject)
    child.on('close', (code, signal) => resolve({ events, code, signal }))
  })
}

t.test('an encode killed with SIGKILL resumes without redoing finished chunks and ends with the same package', async (t) => {
  const dir = await tempDir(t)
  const source = await testSource(dir, { duration: 4 })
  const common = [source, '--ladder', '160x90@100k,320x180@200k', '--segment-duration', '1', '--chunk-segments', '1', '--jobs', '1', '--title', 'resumed']
  const store = join(dir, 'store')

  const first = await encodeCli([...common, '--out', store], 3)
  t.equal(first.signal, 'SIGKILL', 'the first run was killed mid-encode')
  const sidecars = (await readdir(join(store, '.work', 'resumed', 'chunks'), { recursive: true })).filter((f) => String(f).endsWith('.json'))
  t.ok(sidecars.length >= 3, `${sidecars.length} chunks were finished before the kill`)
  await t.rejects(readTitle(join(store, 'titles', 'resumed')), { code: 'OCLAB_ERR_BAD_TITLE' }, 'no package was published by the killed run')

  const second = await encodeCli([...common, '--out', store])
  t.equal(second.code, 0, 'the second run completes')
  const done = second.events.filter((e) => e.type === 'job' && e.state === 'done')
  t.equal(done.length, 8, 'every job is accounted for')
  t.equal(done.filter((e) => e.resumed).length, sidecars.length, 'each chunk finished before the kill is reused, not encoded again')
  const resumedTitle = await readTitle(join(store, 'titles', 'resumed'))
  t.equal(resumedTitle.encode.resumedJobs, sidecars.length)

  const clean = await encodeCli([...common, '--out', join(dir, 'clean')])
  t.equal(clean.code, 0)
  const cleanTitle = await readTitle(join(dir, 'clean', 'titles', 'resumed'))
  const shas = (title: typeof cleanTitle) => title.video.flatMap((v) => v.segments.map((s) => `${s.uri} ${s.sha256}`))
  t.same(shas(resumedTitle), shas(cleanTitle), 'the resumed package is byte for byte the one a clean run makes')
})

t.test('the CLI names bad usage and bad input', async (t) => {
  const run = (args: string[]) =>
    new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [join(repoRoot, 'bin', 'oclab.js'), ...args], { stdio: ['ignore', 'ignore', 'pipe'] })
      let stderr = ''
      child.stderr.on('data', (b: Buffer) => (stderr += b))
      child.on('close', (code) => resolve({ code, stderr }))
    })
  const dir = await tempDir(t)
  let r = await run(['encode'])
  t.equal(r.code, 2)
  t.match(r.stderr, /expected 1 argument/)
  r = await run(['encode', 'x.mp4', '--out', dir, '--ladder', 'bogus'])
  t.equal(r.code, 2)
  t.match(r.stderr, /--ladder: expected fixed, per-title, shot-based or rungs/)
  r = await run(['encode', 'x.mp4', '--out', dir, '--frobnicate'])
  t.equal(r.code, 2)
  t.match(r.stderr, /Unknown option '--frobnicate'/)
  r = await run(['nonsense'])
  t.equal(r.code, 2)
  t.match(r.stderr, /unknown command "nonsense"/)
  r = await run(['encode', join(dir, 'missing.mp4'), '--out', dir])
  t.equal(r.code, 1, 'a missing source is a failure, not a usage error')
  t.notMatch(r.stderr, /\n\s+at /, 'no stack trace')
})
