import { spawn } from 'node:child_process'
import { type AddressInfo, createServer, type Socket } from 'node:net'
import { join } from 'node:path'
import t from 'tap'
import { request } from 'undici'
import { freePort } from '../../lib/free-port.js'
import { readTitle } from '../../lib/title-package.js'
import { repoRoot, tempDir, testSource } from '../helpers/package.js'
import { redisMissing, spawnWorker, startRedis } from './helpers.js'

function oclab(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [join(repoRoot, 'bin', 'oclab.js'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    p.stdout.on('data', (d) => (stdout += d))
    p.stderr.on('data', (d) => (stderr += d))
    p.on('exit', (code) => resolve({ code, stdout, stderr }))
  })
}

t.test('Redis not reachable: a clear error at once from worker, queue status and encode', async (t) => {
  const dead = `redis://127.0.0.1:${await freePort()}`
  const dir = await tempDir(t)
  for (const args of [
    ['worker', '--queue', dead, '--store', dir],
    ['queue', 'status', '--queue', dead],
    ['encode', join(dir, 'missing.mp4'), '--out', dir, '--queue', dead],
  ]) {
    const r = await oclab(args)
    t.equal(r.code, 1, `oclab ${args[0]} exits 1`)
    t.match(r.stderr, new RegExp(`cannot reach the queue's Redis at ${dead}: .*ECONNREFUSED`), `oclab ${args[0]} says which Redis and why`)
  }
  const usage = await oclab(['queue', 'status', '--queue', 'http://127.0.0.1:1'])
  t.equal(usage.code, 2, 'a non-redis URL is a usage error')
  t.match(usage.stderr, /--queue must be a redis:\/\/ or rediss:\/\/ URL/)
  t.equal((await oclab(['encode', 'x.mp4', '--out', dir, '--wait'])).code, 2, '--wait without --queue is a usage error')
})

t.test('a Redis that accepts connections and never answers: worker, queue status and encode --queue each fail within their timeout', async (t) => {
  // a listener that takes the TCP connection and never writes a byte: the first PING must time out, not hang
  const sockets = new Set<Socket>()
  let accepted = 0
  const server = createServer((s) => {
    accepted++
    sockets.add(s)
    s.on('error', () => {})
    s.on('close', () => sockets.delete(s))
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  t.teardown(() => {
    for (const s of sockets) s.destroy()
    server.close()
  })
  const hung = `redis://127.0.0.1:${(server.address() as AddressInfo).port}`
  const dir = await tempDir(t)
  const runs = await Promise.all(
    [
      ['worker', '--queue', hung, '--store', dir],
      ['queue', 'status', '--queue', hung],
      ['encode', join(dir, 'missing.mp4'), '--out', dir, '--queue', hung],
    ].map(async (args) => {
      const t0 = Date.now()
      const r = await oclab(args)
      return { args, r, seconds: (Date.now() - t0) / 1000 }
    }),
  )
  for (const { args, r, seconds } of runs) {
    t.comment(`hung Redis: oclab ${args[0]} failed after ${seconds.toFixed(1)} s`)
    t.equal(r.code, 1, `oclab ${args[0]} exits 1`)
    t.match(
      r.stderr,
      new RegExp(
        `cannot reach the queue's Redis at ${hung}: (no answer within \\d+\\.\\d s|Command timed out) \\(something accepts connections there but does not answer`,
      ),
      `oclab ${args[0]} says the Redis does not answer`,
    )
  }
  t.ok(accepted >= runs.length, `every command connected (${accepted} connections accepted), so each failure is the missing answer, not a refused connection`)
})

t.test('oclab encode --queue with a worker: progress across the fleet, queue status per title, Prometheus metrics', { skip: redisMissing }, async (t) => {
  const dir = await tempDir(t)
  const source = await testSource(dir, { duration: 2, audio: false })
  const url = await startRedis(t)
  const shared = join(dir, 'shared')
  const encode = [
    'encode',
    source,
    '--out',
    shared,
    '--title',
    'cli',
    '--ladder',
    '160x90@100k',
    '--segment-duration',
    '1',
    '--chunk-segments',
    '1',
    '--queue',
    url,
  ]

  const none = await oclab(encode)
  t.equal(none.code, 1, 'without --wait and with no worker connected, encode fails instead of waiting forever')
  t.match(none.stderr, /no oclab worker is connected to redis:\/\/127\.0\.0\.1:\d+ .*pass --wait/)

  const metricsPort = await freePort()
  const worker = await spawnWorker(t, url, shared, ['--metrics-port', String(metricsPort)])
  t.match(
    worker.output(),
    /warning: the Redis at redis:\/\/127\.0\.0\.1:\d+ has no persistence \(appendonly no, no save rules\): a restart loses every queued title/,
    'the worker warns at start that this Redis keeps nothing over a restart',
  )
  const r = await oclab([...encode, '--wait'])
  t.equal(r.code, 0, `encode --queue --wait exits 0 ${r.code ? r.stderr : ''}`)
  t.match(r.stderr, /encoding: 2 chunk jobs/)
  t.match(r.stderr, /v90p-100k\/chunk-00002 done \[\d\/2/, 'per-chunk progress from the workers')
  t.match(r.stdout, /title cli: 2\.00 s/)
  t.equal((await readTitle(join(shared, 'titles', 'cli'))).video[0]?.segments.length, 2)
  t.match(worker.output(), /assembled cli: 2 chunk jobs verified/, 'the flow ran its assembly job on the worker')

  const status = await oclab(['queue', 'status', '--queue', url])
  t.equal(status.code, 0, status.stderr)
  t.match(status.stdout, /1 worker connection/)
  t.match(status.stdout, /cli\s+cli\.[0-9a-f]+\s+done\s+0\s+0\s+0\s+0\s+2\s+1/, 'per title: state, waiting, active, retrying, failed, done, workers')
  const json = JSON.parse((await oclab(['queue', 'status', '--queue', url, '--json'])).stdout)
  t.match(json, { counts: { completed: 3, failed: 0 }, titles: [{ titleId: 'cli', state: 'done', completed: 2 }] })

  const res = await request(`http://127.0.0.1:${metricsPort}/metrics`)
  t.equal(res.statusCode, 200)
  const text = await res.body.text()
  t.match(text, /^oclab_fleet_queue_depth 0$/m, 'queue depth (the autoscaling signal)')
  t.match(text, /^oclab_fleet_jobs\{state="completed"\} 3$/m)
  t.match(text, /^oclab_fleet_job_run_seconds_count\{outcome="completed"\} 2$/m, 'job run time per chunk job')
  t.match(text, /^oclab_fleet_job_wait_seconds_count 2$/m, 'time in the queue per chunk job')
})
