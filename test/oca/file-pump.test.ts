import { fstatSync, statSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { createServer, get } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import t from 'tap'
import { ChunkPool, pumpFile } from '../../lib/http/file-pump.js'
import type { StoredObject } from '../../oca/disk-store.js'
import { OpenFiles } from '../../oca/open-files.js'
import { waitFor } from '../helpers/wait.js'
import { knownBytes, tempDir } from './helpers.js'

const object = (path: string, bytes: number): StoredObject => ({ titleId: 't', path, bytes, sha256: '0'.repeat(64), mtimeMs: 0, lastAccess: 0, hits: 0 })
/** Does descriptor `fd` still refer to `path`'s file (fd numbers are reused, so an open check alone says little)? */
const refersTo = (fd: number, path: string): boolean => {
  try {
    return fstatSync(fd).ino === statSync(path).ino
  } catch {
    return false
  }
}

/** A server that answers every request with bytes [start, end] of `fd` (from the query), through pumpFile. */
async function pumpServer(t: { teardown: (f: () => Promise<void>) => void }, fd: () => number, pool: ChunkPool, done: (err?: Error) => void) {
  const server = createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x')
    const start = Number(u.searchParams.get('start'))
    const end = Number(u.searchParams.get('end'))
    pumpFile(
      fd(),
      start,
      end,
      res,
      pool,
      () => res.writeHead(200, { 'content-length': String(end - start + 1) }),
      (err) => {
        // A file that could not be read at all: the headers are not out, so the answer is an honest error.
        if (err && !res.headersSent) res.writeHead(500).end()
        done(err)
      },
    )
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  t.teardown(() => new Promise<void>((r) => server.close(() => r())))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

function fetchAll(url: string, stopAfter = Infinity): Promise<{ status?: number; body: Buffer; error?: string }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    let got = 0
    const req = get(url, (res) => {
      res.on('data', (c: Buffer) => {
        chunks.push(c)
        got += c.length
        if (got >= stopAfter) {
          req.destroy()
          resolve({ body: Buffer.concat(chunks), error: 'stopped' })
        }
      })
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks) }))
      res.on('error', (e) => resolve({ body: Buffer.concat(chunks), error: e.message }))
    })
    req.on('error', (e) => resolve({ body: Buffer.concat(chunks), error: e.message }))
  })
}

t.test('pumps whole files and ranges byte for byte with one reused chunk per answer', async (t) => {
  const dir = await tempDir(t)
  const bytes = knownBytes(3_000_017)
  const file = join(dir, 'f.m4s')
  await writeFile(file, bytes)
  const files = new OpenFiles()
  const o = object('f.m4s', bytes.length)
  const { fd, release } = await files.acquire(o, async () => file).then((h) => h!)
  t.teardown(async () => release())
  const pool = new ChunkPool(256 * 1024)
  const outcomes: (Error | undefined)[] = []
  const url = await pumpServer(
    t,
    () => fd,
    pool,
    (e) => outcomes.push(e),
  )
  const whole = await fetchAll(`${url}/?start=0&end=${bytes.length - 1}`)
  t.ok(whole.body.equals(bytes), 'whole file')
  const range = await fetchAll(`${url}/?start=262143&end=600000`)
  t.ok(range.body.equals(bytes.subarray(262143, 600001)), 'a range across chunk boundaries')
  const tail = await fetchAll(`${url}/?start=${bytes.length - 5}&end=${bytes.length - 1}`)
  t.ok(tail.body.equals(bytes.subarray(bytes.length - 5)), 'the last bytes')
  await waitFor(() => outcomes.length === 3, 'three answers done')
  t.same(outcomes, [undefined, undefined, undefined])
  const a = pool.take()
  pool.give(a)
  t.equal(pool.take(), a, 'a returned chunk is reused, not reallocated')
})

t.test('a file shorter than promised cuts the connection, a client that leaves stops the pump', async (t) => {
  const dir = await tempDir(t)
  const bytes = knownBytes(1_000_000)
  const file = join(dir, 'f.m4s')
  await writeFile(file, bytes)
  const files = new OpenFiles()
  const { fd, release } = (await files.acquire(object('f.m4s', bytes.length), async () => file))!
  t.teardown(async () => release())
  const outcomes: (Error | undefined)[] = []
  const url = await pumpServer(
    t,
    () => fd,
    new ChunkPool(64 * 1024),
    (e) => outcomes.push(e),
  )
  const nothing = await fetchAll(`${url}/?start=${bytes.length}&end=${bytes.length + 10}`)
  t.equal(nothing.status, 500, 'nothing readable: an error status, since no header was sent yet')
  await waitFor(() => outcomes.length === 1, 'the pump reported the unreadable range')
  outcomes.length = 0
  const short = await fetchAll(`${url}/?start=0&end=${bytes.length + 99}`)
  t.ok(short.error, `the client sees a cut answer (${short.error}), not a short body passed off as whole`)
  t.equal(short.body.length, bytes.length)
  await waitFor(() => outcomes.length === 1, 'the pump reported the short file')
  t.match(outcomes[0]?.message, /ended at byte/)
  // A client that stops after 200 kB of a long answer.
  const big = join(dir, 'big.m4s')
  await writeFile(big, knownBytes(40_000_000))
  const h = (await files.acquire(object('big.m4s', 40_000_000), async () => big))!
  t.teardown(async () => h.release())
  const url2 = await pumpServer(
    t,
    () => h.fd,
    new ChunkPool(64 * 1024),
    (e) => outcomes.push(e),
  )
  const partial = await fetchAll(`${url2}/?start=0&end=39999999`, 200_000)
  t.equal(partial.error, 'stopped')
  await waitFor(() => outcomes.length === 2, 'the pump saw the client leave')
  t.ok(outcomes[1] instanceof Error)
})

t.test('open files: one descriptor per object, reused, closed when forgotten and idle, at most max held', async (t) => {
  const dir = await tempDir(t)
  const paths = await Promise.all(
    [0, 1, 2].map(async (i) => {
      const p = join(dir, `f${i}`)
      await writeFile(p, knownBytes(10, i))
      return p
    }),
  )
  const files = new OpenFiles(2)
  const objs = [0, 1, 2].map((i) => object(`f${i}`, 10))
  const a1 = await files.acquire(objs[0]!, async () => paths[0]!).then((h) => h!)
  const a2 = await files.acquire(objs[0]!, async () => paths[0]!).then((h) => h!)
  t.equal(a2.fd, a1.fd, 'the second answer reuses the descriptor')
  files.forget(objs[0]!)
  a1.release()
  t.ok(refersTo(a1.fd, paths[0]!), 'still open while an answer reads it')
  a2.release()
  a2.release()
  await waitFor(() => !refersTo(a1.fd, paths[0]!), 'closed once the last answer ended (close is asynchronous)')
  const b = await files.acquire(objs[1]!, async () => paths[1]!).then((h) => h!)
  b.release()
  const c = await files.acquire(objs[2]!, async () => paths[2]!).then((h) => h!)
  c.release()
  const d = await files.acquire(objs[0]!, async () => paths[0]!).then((h) => h!)
  d.release()
  t.equal(files.size, 2, 'at most two held')
  await waitFor(() => !refersTo(b.fd, paths[1]!), 'the least recently used closed')
  t.ok(refersTo(c.fd, paths[2]!) && refersTo(d.fd, paths[0]!))
  const again = object('f1', 10) // a re-filled f1 is a new StoredObject: never the old descriptor
  const e = await files.acquire(again, async () => paths[1]!).then((h) => h!)
  t.not(e.fd, -1)
  e.release()
})
