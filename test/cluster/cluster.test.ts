import t from 'tap'
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { readFile } from 'node:fs/promises'
import { request } from 'undici'
import { repoRoot, tempDir } from '../helpers/package.js'
import { writeTestCluster } from '../helpers/cluster.js'
import { stateFileFor, type ClusterState } from '../../cli/cluster.js'

const alive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

t.test('oclab cluster starts every server, and cluster stop leaves no process behind', async (t) => {
  const dir = await tempDir(t)
  const { file, cluster } = await writeTestCluster(dir, 2)
  const child = spawn(process.execPath, [join(repoRoot, 'bin', 'oclab.js'), 'cluster', '--config', file], { stdio: ['ignore', 'pipe', 'pipe'] })
  t.teardown(() => child.kill('SIGKILL'))
  const lines: string[] = []
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (l) => {
      lines.push(l)
      if (l.startsWith('cluster up')) resolve()
    })
    child.stderr.on('data', (b: Buffer) => lines.push(b.toString()))
    child.once('exit', (code) => reject(new Error(`cluster exited ${code}:\n${lines.join('\n')}`)))
  })
  t.ok(lines.some((l) => /^\[origin\s*\]/.test(l)), 'child logs are forwarded with a prefix')
  const state = JSON.parse(await readFile(stateFileFor(file), 'utf8')) as ClusterState
  t.same(state.children.map((c) => c.name).sort(), ['oca-1', 'oca-2', 'origin', 'steering'])
  for (const url of [cluster.origin.url, cluster.steering.url, ...cluster.ocas.map((o) => o.url)]) {
    const res = await request(`${url}/health`)
    await res.body.dump()
    t.equal(res.statusCode, 200, `${url} is healthy`)
  }

  const stop = spawn(process.execPath, [join(repoRoot, 'bin', 'oclab.js'), 'cluster', 'stop', '--config', file], { stdio: 'ignore' })
  const stopCode = await new Promise<number | null>((r) => stop.once('exit', r))
  t.equal(stopCode, 0, 'cluster stop succeeds')
  await new Promise<void>((r) => (child.exitCode !== null ? r() : child.once('exit', () => r())))
  t.equal(child.exitCode, 0, 'the supervisor exits cleanly')
  for (const c of state.children) t.notOk(alive(c.pid), `${c.name} (pid ${c.pid}) is gone`)
  await t.rejects(readFile(stateFileFor(file)), { code: 'ENOENT' }, 'the state file is removed')
})
