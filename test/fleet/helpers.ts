import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from '../../lib/free-port.js'
import { checkRedis, parseQueueUrl } from '../../encoder/redis-connection.js'
import { repoRoot } from '../helpers/package.js'

/** Debian's redis-server, which CI installs; tests skip with this reason only when it is absent. */
export const redisServer = spawnSync('sh', ['-c', 'command -v redis-server']).stdout.toString().trim()
export const redisMissing: string | false = redisServer ? false : 'no redis-server binary on PATH (apt-get install redis-server)'

interface Teardown {
  teardown(fn: () => unknown): void
}

/** A throwaway redis-server on a free loopback port, no persistence, killed at teardown. Returns its URL. */
export async function startRedis(t: Teardown): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'oclab-redis-'))
  const port = await freePort()
  const proc = spawn(redisServer, ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'], { stdio: 'ignore' })
  t.teardown(async () => {
    proc.kill('SIGKILL')
    await rm(dir, { recursive: true, force: true })
  })
  const url = `redis://127.0.0.1:${port}`
  for (let i = 0; ; i++) {
    try {
      await checkRedis(parseQueueUrl(url), { connectMs: 500 })
      return url
    } catch (err) {
      if (i > 50 || proc.exitCode !== null) throw err
      await new Promise((r) => setTimeout(r, 100))
    }
  }
}

export interface WorkerProcess {
  proc: ChildProcess
  /** everything it printed so far */
  output(): string
  /** resolves when a line matching `re` appears */
  waitFor(re: RegExp): Promise<string>
}

/**
 * `oclab worker` as a child process in its own process group, so a test can
 * SIGKILL it together with its ffmpeg children (a machine dying).
 */
export async function spawnWorker(t: Teardown, url: string, store: string, args: string[] = []): Promise<WorkerProcess> {
  const proc = spawn(process.execPath, [join(repoRoot, 'bin', 'oclab.js'), 'worker', '--queue', url, '--store', store, ...args], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  const waiters: { re: RegExp; resolve: (line: string) => void }[] = []
  const onData = (d: Buffer) => {
    out += d.toString()
    for (const w of [...waiters]) {
      const m = out.split('\n').find((l) => w.re.test(l))
      if (m) {
        waiters.splice(waiters.indexOf(w), 1)
        w.resolve(m)
      }
    }
  }
  proc.stdout!.on('data', onData)
  proc.stderr!.on('data', onData)
  t.teardown(() => {
    if (proc.exitCode === null && proc.signalCode === null) {
      try {
        process.kill(-proc.pid!, 'SIGKILL')
      } catch {
        // already gone
      }
    }
  })
  const w: WorkerProcess = {
    proc,
    output: () => out,
    waitFor: (re) =>
      new Promise((resolve, reject) => {
        const m = out.split('\n').find((l) => re.test(l))
        if (m) return resolve(m)
        waiters.push({ re, resolve })
        proc.once('exit', (code) => reject(new Error(`worker exited (${code}) before printing ${re}:\n${out}`)))
      }),
  }
  await w.waitFor(/ready: queue/)
  return w
}

/** Kill a worker and its ffmpeg children at once, like a machine losing power. */
export function killWorker(w: WorkerProcess): void {
  process.kill(-w.proc.pid!, 'SIGKILL')
}
