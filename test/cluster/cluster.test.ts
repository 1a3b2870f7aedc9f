import { type ChildProcess, spawn } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import t from 'tap'
import { request } from 'undici'
import { type ClusterState, pidAlive, readClusterState, stateFileFor } from '../../lib/cluster-control.js'
import { writeTestCluster } from '../helpers/cluster.js'
import { repoRoot, tempDir } from '../helpers/package.js'
import { until } from '../helpers/until.js'

const oclab = (args: string[]) => spawn(process.execPath, [join(repoRoot, 'bin', 'oclab.js'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] })

/** Collect a child's output; `ended` resolves with its exit code. */
function watch(child: ChildProcess) {
  const out: string[] = []
  const err: string[] = []
  createInterface({ input: child.stdout! }).on('line', (l) => out.push(l))
  createInterface({ input: child.stderr! }).on('line', (l) => err.push(l))
  const ended = new Promise<number | null>((r) => (child.exitCode !== null ? r(child.exitCode) : child.once('exit', (code) => r(code))))
  return { out, err, ended }
}

async function health(url: string): Promise<number> {
  const res = await request(`${url}/health`)
  await res.body.dump()
  return res.statusCode
}

t.test('oclab cluster starts every server, heals a SIGKILLed OCA, reports the restart, and cluster stop leaves nothing behind', async (t) => {
  const dir = await tempDir(t)
  const { file, cluster } = await writeTestCluster(dir, 2)
  const child = oclab(['cluster', '--config', file, '--ready-timeout', '300'])
  t.teardown(() => child.kill('SIGKILL'))
  const seen = watch(child)
  await until(async () => (seen.out.some((l) => l.startsWith('cluster up')) ? true : undefined), '"cluster up"', 3000, 100, 300_000).catch((err: Error) => {
    throw new Error(`${err.message}\n${[...seen.out, ...seen.err].join('\n')}`)
  })
  t.ok(
    seen.out.some((l) => /^\[origin\s*\]/.test(l)),
    'child logs are forwarded with a prefix',
  )
  // "up" means every /health answered 200 together; nothing has been killed since
  for (const url of [cluster.origin.url, cluster.steering.url, ...cluster.ocas.map((o) => o.url)]) t.equal(await health(url), 200, `${url} is healthy`)
  const state = JSON.parse(await readFile(stateFileFor(file), 'utf8')) as ClusterState
  t.same(state.children.map((c) => c.name).sort(), ['oca-1', 'oca-2', 'origin', 'steering'])
  t.ok(state.ready && state.children.every((c) => c.state === 'running' && c.restarts === 0))

  const victim = state.children.find((c) => c.name === 'oca-1')!
  process.kill(victim.pid!, 'SIGKILL')
  const healed = await until(
    async () => {
      const c = (await readClusterState(file))?.children.find((x) => x.name === 'oca-1')
      return c && c.state === 'running' && c.pid !== victim.pid ? c : undefined
    },
    'oca-1 to be restarted and healthy',
    3000,
    100,
    120_000,
  )
  t.equal(healed.restarts, 1, 'the state file counts the restart')
  t.equal(healed.lastExit?.signal, 'SIGKILL', 'and says how it died')
  t.equal(await health(victim.url), 200, 'the new oca-1 answers /health')
  t.ok(
    seen.out.some((l) => /\[supervisor\s*\] oca-1 exited unexpectedly \(SIGKILL\); restart 1 in \d+ ms/.test(l)),
    'the restart is in the log',
  )

  const status = watch(oclab(['cluster', 'status', '--config', file]))
  t.equal(await status.ended, 0, `cluster status: all running and healthy\n${status.err.join('\n')}`)
  t.match(status.out.join('\n'), /oca-1\s+running\s+pid \d+\s+restarts 1\s+health ok, last exit SIGKILL/)
  t.match(status.out.join('\n'), /oca-2\s+running\s+pid \d+\s+restarts 0\s+health ok$/m)

  const pids = [victim.pid!, ...(await readClusterState(file))!.children.map((c) => c.pid!)]
  const stop = watch(oclab(['cluster', 'stop', '--config', file]))
  t.equal(await stop.ended, 0, 'cluster stop succeeds')
  t.equal(await seen.ended, 0, 'the supervisor exits cleanly')
  t.same(pids.filter(pidAlive), [], 'no process of the cluster is left, the restarted one included')
  await t.rejects(readFile(stateFileFor(file)), { code: 'ENOENT' }, 'the state file is removed')
})

t.test('oclab cluster --ready-timeout: a clear one-line failure, no stack trace, nothing left running', async (t) => {
  const dir = await tempDir(t)
  const { file } = await writeTestCluster(dir, 1)
  // no server answers within 0.1 s of being spawned: node has not even loaded the CLI by then
  const run = watch(oclab(['cluster', '--config', file, '--ready-timeout', '0.1']))
  t.equal(await run.ended, 1, 'exit 1')
  const failure = run.err.join('\n')
  t.match(
    failure,
    /^oclab cluster: (OCLAB_ERR_NOT_READY:? )?not every server answered \/health with 200 within 0\.1 s: origin \(.+\), oca-1 \(.+\), steering \(.+\)$/,
    'says who was not ready',
  )
  t.notMatch(failure, /\n\s+at /, 'no stack trace')
  const started = run.out.flatMap((l) => /\[supervisor\s*\] \S+ started, pid (\d+)/.exec(l)?.[1] ?? []).map(Number)
  t.equal(started.length, 3, 'three processes were started')
  t.same(started.filter(pidAlive), [], 'and none is left')
  await t.rejects(readFile(stateFileFor(file)), { code: 'ENOENT' }, 'no state file is left')

  const none = watch(oclab(['cluster', 'stop', '--config', file]))
  t.equal(await none.ended, 1)
  t.match(none.err.join('\n'), /no running cluster recorded for/)
})
