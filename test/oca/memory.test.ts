import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { request } from 'node:http'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { freePort } from '../../lib/free-port.js'
import { writeLoneOca } from '../helpers/cluster.js'
import { ADMIN, putFile, rawRequest, tempDir } from './helpers.js'

/**
 * Issue 21: the OCA's memory is bounded by its configuration. A real `oclab
 * oca` process with a 16 MiB hot tier and a 32 MiB in-flight budget serves a
 * churn of 40 distinct 4 MB objects to 48 concurrent clients; its RSS, sampled
 * from /proc while they run, must stay within start + hot tier + in-flight
 * budget + 64 MiB. Whole-object reads per disk hit (the old serving path)
 * break this bound; no timing is asserted, only memory and answers.
 */
const bin = fileURLToPath(new URL('../../bin/oclab.js', import.meta.url))
const MiB = 1024 * 1024
const HOT = 16 * MiB
const IN_FLIGHT = 32 * MiB
const OBJECTS = 40
const SIZE = 4_000_000
const CLIENTS = 48
const PER_CLIENT = 6

async function rssBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8')
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(status)
  if (!m) throw new Error(`no VmRSS in /proc/${pid}/status`)
  return Number(m[1]) * 1024
}

/** GET one object, reading (and dropping) the body; status and body length. */
function get(url: string): Promise<{ status: number; bytes: number; retryAfter?: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false }, (res) => {
      let bytes = 0
      res.on('data', (c: Buffer) => (bytes += c.length))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes, retryAfter: res.headers['retry-after'] as string | undefined }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end()
  })
}

t.test(
  'RSS under a churn of multi-MB disk hits stays within hot tier + in-flight budget + 64 MiB',
  { skip: process.platform !== 'linux' && 'reads /proc' },
  async (t) => {
    const dir = await tempDir(t)
    const port = await freePort()
    const store = join(dir, 'store')
    for (let i = 0; i < OBJECTS; i++) await putFile(store, 'churn', `seg-${i}.m4s`, randomBytes(SIZE))
    const config = await writeLoneOca(dir, { id: 'm', port, storeDir: store, memoryBytes: HOT, adminToken: ADMIN })
    const child = spawn(
      process.execPath,
      [bin, 'oca', '--config', config, '--id', 'm', '--drain-delay', '0', '--log-level', 'warn', '--in-flight-bytes', String(IN_FLIGHT)],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    )
    let stderr = ''
    child.stderr.on('data', (c) => (stderr += c))
    t.teardown(() => void child.kill('SIGKILL'))
    const url = `http://127.0.0.1:${port}`
    const deadline = Date.now() + 60_000
    let up = false
    while (!up) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`oclab oca did not come up within 60 s: ${stderr}`)
      up = await rawRequest(url, '/health').then(
        (r) => r.status === 200,
        () => false,
      )
      if (!up) await new Promise((r) => setTimeout(r, 50))
    }

    const start = await rssBytes(child.pid!)
    let peak = start
    let sampling = true
    const sampler = (async () => {
      while (sampling) {
        peak = Math.max(peak, await rssBytes(child.pid!).catch(() => 0))
        await new Promise((r) => setTimeout(r, 10))
      }
    })()

    let good = 0
    let shed = 0
    const bad: string[] = []
    await Promise.all(
      Array.from({ length: CLIENTS }, async (_, c) => {
        for (let k = 0; k < PER_CLIENT; k++) {
          // Distinct objects across clients at once: every client walks the set from its own offset.
          const r = await get(`${url}/titles/churn/seg-${(c * 7 + k * 13) % OBJECTS}.m4s`)
          if (r.status === 200 && r.bytes === SIZE) good++
          else if (r.status === 503 && r.retryAfter) shed++
          else bad.push(`${r.status}/${r.bytes}`)
        }
      }),
    )
    sampling = false
    await sampler

    const bound = start + HOT + IN_FLIGHT + 64 * MiB
    t.same(bad, [], 'every answer is a whole object or a 503 with Retry-After')
    t.ok(good > 0, `${good} whole objects served (${shed} shed)`)
    t.ok(
      peak <= bound,
      `peak RSS ${(peak / MiB).toFixed(0)} MiB ≤ start ${(start / MiB).toFixed(0)} + hot ${HOT / MiB} + in-flight ${IN_FLIGHT / MiB} + 64 MiB = ${(bound / MiB).toFixed(0)} MiB`,
    )
    const metrics = (await rawRequest(url, '/metrics')).body.toString()
    const counted = [...metrics.matchAll(/^oca_shed_requests_total\{reason="[a-z-]+"\} (\d+)$/gm)].reduce((s, m) => s + Number(m[1]), 0)
    t.equal(counted, shed, 'every refused request is counted in oca_shed_requests_total')
  },
)
