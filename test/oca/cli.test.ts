import { spawn } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { freePort } from '../../lib/free-port.js'
import { waitFor } from '../helpers/wait.js'
import { ADMIN, knownBytes, putFile, rawRequest, tempDir } from './helpers.js'

const bin = fileURLToPath(new URL('../../bin/oclab.js', import.meta.url))

t.test('oclab oca: listens on its cluster URL, serves the store, drains and exits 0 on SIGTERM', async (t) => {
  const dir = await tempDir(t)
  const port = await freePort()
  await putFile(join(dir, 'store-a1'), 't1', 'v1/seg-1.m4s', knownBytes(1000))
  const cluster = {
    version: 1,
    adminToken: ADMIN,
    origin: { url: 'http://127.0.0.1:9' },
    steering: { url: 'http://127.0.0.1:9' },
    ocas: [{ id: 'a1', url: `http://127.0.0.1:${port}`, site: 'a', region: 'eu', lat: 0, lon: 0, coverage: [], capacityBytes: 1e7, storeDir: 'store-a1' }],
  }
  await writeFile(join(dir, 'cluster.json'), JSON.stringify(cluster))
  const child = spawn(process.execPath, [bin, 'oca', '--config', join(dir, 'cluster.json'), '--id', 'a1', '--drain-delay', '0', '--log-level', 'warn'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stderr = ''
  child.stderr.on('data', (c) => (stderr += c))
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)))
  t.teardown(() => void child.kill('SIGKILL'))
  const url = `http://127.0.0.1:${port}`
  let health: Awaited<ReturnType<typeof rawRequest>> | undefined
  // Starting node + tsx on a loaded 2-core machine can take tens of seconds.
  await waitFor(
    async () => {
      health = await rawRequest(url, '/health').catch(() => undefined)
      return health !== undefined
    },
    'the OCA child to answer /health',
    { timeoutMs: 90_000, everyMs: 50, state: () => ({ exitCode: child.exitCode, stderr }) },
  )
  t.ok(health, `the node came up (${stderr})`)
  t.same(JSON.parse(health!.body.toString()).titles, ['t1'], 'store path resolved relative to the cluster file')
  // A node just started on a loaded machine may shed (503) for a second: its start-up blocked the event loop.
  let seg!: Awaited<ReturnType<typeof rawRequest>>
  await waitFor(
    async () => {
      seg = await rawRequest(url, '/titles/t1/v1/seg-1.m4s')
      return seg.status !== 503
    },
    'an answer without load shedding',
    { timeoutMs: 60_000, everyMs: 100 },
  )
  t.ok(seg.body.equals(knownBytes(1000)))
  child.kill('SIGTERM')
  t.equal(await exited, 0, 'exit 0 after the drain')

  const bad = spawn(process.execPath, [bin, 'oca', '--config', join(dir, 'cluster.json'), '--id', 'nope'], { stdio: ['ignore', 'ignore', 'pipe'] })
  let err = ''
  bad.stderr.on('data', (c) => (err += c))
  t.equal(await new Promise((r) => bad.on('exit', r)), 1)
  t.match(err, /no OCA "nope"/)
})
