import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { checkRedis, parseQueueUrl } from '../../encoder/fleet/redis-connection.js'
import { freePort } from '../../lib/free-port.js'
import { repoRoot } from '../helpers/package.js'

/** Debian's redis-server, which CI installs; tests skip with this reason only when it is absent. */
export const redisServer = spawnSync('sh', ['-c', 'command -v redis-server']).stdout.toString().trim()
export const redisMissing: string | false = redisServer ? false : 'no redis-server binary on PATH (apt-get install redis-server)'

interface Teardown {
  teardown(fn: () => unknown): void
}

export interface RedisServer {
  url: string
  /** SIGKILL it (no shutdown save) and wait for it to be gone */
  kill(): Promise<void>
  /** kill it and start a fresh one on the same port and data dir: with appendonly it reloads the queue, without it comes back empty */
  restart(): Promise<void>
  /** SIGSTOP / SIGCONT: a Redis that still accepts connections (the kernel does) but answers nothing, like a hung or swapping server */
  freeze(): void
  thaw(): void
}

/**
 * A throwaway redis-server on a free loopback port, killed at teardown. No
 * persistence unless `appendonly` (then an AOF in its own temp dir, so a
 * restart reloads the queue).
 */
export async function startRedisServer(t: Teardown, opts: { appendonly?: boolean } = {}): Promise<RedisServer> {
  const dir = await mkdtemp(join(tmpdir(), 'oclab-redis-'))
  const port = await freePort()
  const url = `redis://127.0.0.1:${port}`
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', opts.appendonly ? 'yes' : 'no']
  let proc: ChildProcess
  const start = async () => {
    proc = spawn(redisServer, args, { stdio: 'ignore' })
    const p = proc
    for (let i = 0; ; i++) {
      try {
        await checkRedis(parseQueueUrl(url), { connectMs: 500, commandMs: 1000 })
        return
      } catch (err) {
        if (i > 50 || p.exitCode !== null) throw err
        await new Promise((r) => setTimeout(r, 100))
      }
    }
  }
  const kill = async () => {
    const p = proc
    if (p.exitCode !== null || p.signalCode !== null) return
    const gone = new Promise((r) => p.once('exit', r))
    p.kill('SIGKILL')
    await gone
  }
  t.teardown(async () => {
    if (proc.exitCode === null) proc.kill('SIGCONT')
    await kill()
    await rm(dir, { recursive: true, force: true })
  })
  await start()
  return {
    url,
    kill,
    restart: async () => {
      await kill()
      return start()
    },
    freeze: () => proc.kill('SIGSTOP'),
    thaw: () => proc.kill('SIGCONT'),
  }
}

/** A throwaway redis-server without persistence. Returns its URL. */
export async function startRedis(t: Teardown): Promise<string> {
  return (await startRedisServer(t)).url
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
  const proc = spawn(process.execPath, [join(repoRoot, 'bin', 'oclab.js'), 'worker', '--queue', url, '--store', store, ...args], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
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
