import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import t from 'tap'

/**
 * The guard `oclab oca` / `oclab origin` install: a stray rejection is logged
 * and counted and the process goes on. Run in a child so the test process's
 * own rejection policy is untouched; without the guard Node's default ends
 * the child with an error, which the first case shows.
 */
const guard = fileURLToPath(new URL('../../lib/process-guard.ts', import.meta.url))

function run(install: boolean): Promise<{ code: number | null; out: string; err: string }> {
  const code = `
    const { guardUnhandledRejections } = await import(${JSON.stringify(guard)})
    let count = 0
    const log = { error: (o, msg) => console.log('logged: ' + msg + ': ' + o.err.message) }
    if (${install}) guardUnhandledRejections(log, () => count++)
    Promise.reject(new Error('a bug nobody awaited'))
    setTimeout(() => console.log('alive, counted ' + count), 50)
  `
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stdout.on('data', (c) => (out += c))
  child.stderr.on('data', (c) => (err += c))
  return new Promise((resolve) => child.on('exit', (c) => resolve({ code: c, out, err })))
}

t.test("without the guard an unhandled rejection ends the process (Node's default)", async (t) => {
  const r = await run(false)
  t.not(r.code, 0)
  t.notMatch(r.out, /alive/)
})

t.test('with the guard it is logged and counted, and the process lives on', async (t) => {
  const r = await run(true)
  t.equal(r.code, 0, r.err)
  t.match(r.out, /logged: unhandled promise rejection.*: a bug nobody awaited/)
  t.match(r.out, /alive, counted 1/)
})
