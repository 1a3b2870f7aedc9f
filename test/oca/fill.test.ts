import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import { sha256 } from '../../lib/hash.js'
import { flipBits } from '../helpers/bytes.js'
import { waitFor } from '../helpers/wait.js'
import { auth, knownBytes, rawRequest, startOca, startParent, tempDir } from './helpers.js'

interface Progress {
  id: string
  status: string
  filesDone: number
  filesSkipped: number
  filesFailed: number
  attempts: number
  bytesFetched: number
  errors: { path: string; attempts: number; error: string }[]
}

const json = { ...auth, 'content-type': 'application/json' }

async function waitFill(url: string, id: string): Promise<Progress> {
  let p: Progress | undefined
  await waitFor(
    async () => {
      p = JSON.parse((await rawRequest(url, `/admin/fills/${id}`, { headers: auth })).body.toString()) as Progress
      return p.status !== 'running'
    },
    `fill ${id} to finish`,
    { everyMs: 10, state: () => p },
  )
  return p!
}

function title(n: number) {
  const files = Array.from({ length: n }, (_, i) => ({ path: `v1/seg-${String(i + 1).padStart(5, '0')}.m4s`, body: knownBytes(20_000 + i * 100, i) }))
  return {
    objects: Object.fromEntries(files.map((f) => [`/titles/t1/${f.path}`, f.body])),
    list: files.map((f) => ({ path: f.path, bytes: f.body.length, sha256: sha256(f.body) })),
    files,
  }
}

async function post(url: string, body: unknown) {
  const r = await rawRequest(url, '/admin/fill', { method: 'POST', headers: json, body: JSON.stringify(body) })
  return { status: r.status, body: JSON.parse(r.body.toString()) as Progress & { error?: string } }
}

t.test('pre-position fill: verified files land, progress is queryable, the node lists what it holds', async (t) => {
  const tt = title(6)
  const parent = await startParent(t, tt.objects)
  const dir = await tempDir(t)
  const { url } = await startOca(t, { storeDir: dir, missMode: 'off' })
  const started = await post(url, { titleId: 't1', files: tt.list, parent: parent.url, concurrency: 2, pin: true })
  t.equal(started.status, 202)
  const done = await waitFill(url, started.body.id)
  t.equal(done.status, 'done')
  t.equal(done.filesDone, 6)
  t.equal(
    done.bytesFetched,
    tt.list.reduce((s, f) => s + f.bytes, 0),
  )
  for (const f of tt.files) {
    const r = await rawRequest(url, `/titles/t1/${f.path}`)
    t.equal(r.status, 200)
    t.ok(r.body.equals(f.body), f.path)
  }
  const held = JSON.parse((await rawRequest(url, '/admin/titles', { headers: auth })).body.toString()).titles
  t.equal(held.length, 1)
  t.equal(held[0].pinned, true)
  t.same(
    held[0].files,
    [...tt.list].sort((a, b) => a.path.localeCompare(b.path)),
  )
  const health = JSON.parse((await rawRequest(url, '/health')).body.toString())
  t.same(health.titles, ['t1'])
})

t.test('a corrupted byte is rejected and retried; the bad bytes are never served', async (t) => {
  const tt = title(2)
  const target = `/titles/t1/${tt.files[0]!.path}`
  const parent = await startParent(t, tt.objects)
  parent.handler = (req, res, n) => {
    if (req.url !== target || n > 1) return false
    const bad = Buffer.from(tt.files[0]!.body)
    flipBits(bad, 1234, 0x01) // one flipped bit, same length
    res.writeHead(200, { 'content-length': bad.length }).end(bad)
    return true
  }
  const dir = await tempDir(t)
  const { url } = await startOca(t, { storeDir: dir, missMode: 'off', fill: { retryDelayMs: 1 } })
  const done = await waitFill(url, (await post(url, { titleId: 't1', files: tt.list, parent: parent.url })).body.id)
  t.equal(done.status, 'done')
  t.equal(parent.count.get(target), 2, 'fetched again after the checksum mismatch')
  t.equal(done.attempts, 3, 'two files, one retry')
  const r = await rawRequest(url, target)
  t.ok(r.body.equals(tt.files[0]!.body), 'the good bytes are served')
})

t.test('a file that never verifies fails the fill after the retries and is not stored', async (t) => {
  const tt = title(2)
  const target = `/titles/t1/${tt.files[1]!.path}`
  const parent = await startParent(t, tt.objects)
  parent.handler = (req, res) => {
    if (req.url !== target) return false
    const bad = Buffer.from(tt.files[1]!.body)
    flipBits(bad, 0, 0xff)
    res.writeHead(200, { 'content-length': bad.length }).end(bad)
    return true
  }
  const dir = await tempDir(t)
  const { url } = await startOca(t, { storeDir: dir, missMode: 'off', fill: { attempts: 3, retryDelayMs: 1 } })
  const done = await waitFill(url, (await post(url, { titleId: 't1', files: tt.list, parent: parent.url })).body.id)
  t.equal(done.status, 'failed')
  t.equal(done.filesDone, 1)
  t.equal(done.filesFailed, 1)
  t.equal(done.errors[0]!.path, tt.files[1]!.path)
  t.equal(done.errors[0]?.attempts, 3)
  t.match(done.errors[0]?.error, /sha256/)
  t.equal(parent.count.get(target), 3)
  t.equal((await rawRequest(url, target)).status, 404, 'nothing served for the bad file')
  const names = await readdir(join(dir, 'titles', 't1', 'v1'))
  t.same(names, [tt.files[0]?.path.split('/')[1]], 'no temp or partial file left')
})

t.test('an interrupted fill resumes: a second post moves only what is missing', async (t) => {
  const tt = title(5)
  const parent = await startParent(t, tt.objects)
  const dead = `/titles/t1/${tt.files[3]!.path}`
  let parentBroken = true
  parent.handler = (req, res) => {
    if (parentBroken && req.url === dead) {
      res.socket?.destroy()
      return true
    }
    return false
  }
  const dir = await tempDir(t)
  const { url } = await startOca(t, { storeDir: dir, missMode: 'off', fill: { attempts: 1 } })
  const first = await waitFill(url, (await post(url, { titleId: 't1', files: tt.list, parent: parent.url, concurrency: 1 })).body.id)
  t.equal(first.status, 'failed')
  t.equal(first.filesDone, 4)
  parentBroken = false
  const before = parent.total()
  const second = await waitFill(url, (await post(url, { titleId: 't1', files: tt.list, parent: parent.url })).body.id)
  t.equal(second.status, 'done')
  t.equal(second.filesSkipped, 4)
  t.equal(second.filesDone, 1)
  t.equal(parent.total() - before, 1, 'only the missing file was fetched')
})

t.test('purge removes a title from disk, memory and the listing; bad requests are refused', async (t) => {
  const tt = title(2)
  const parent = await startParent(t, tt.objects)
  const dir = await tempDir(t)
  const { app, url } = await startOca(t, { storeDir: dir, missMode: 'off' })
  await waitFill(url, (await post(url, { titleId: 't1', files: tt.list, parent: parent.url, pin: true })).body.id)
  const target = `/titles/t1/${tt.files[0]!.path}`
  t.equal((await rawRequest(url, target)).headers['x-cache'], 'HIT-DISK')
  await waitFor(() => app.oca.hot.get('t1', tt.files[0]!.path) !== undefined, 'the disk hit promoted to the hot tier')
  t.equal((await rawRequest(url, target)).headers['x-cache'], 'HIT-MEMORY')
  const del = await rawRequest(url, '/admin/titles/t1', { method: 'DELETE', headers: auth })
  t.equal(del.status, 200)
  t.equal(
    JSON.parse(del.body.toString()).bytesFreed,
    tt.list.reduce((s, f) => s + f.bytes, 0),
  )
  t.equal((await rawRequest(url, target)).status, 404, 'gone from the hot tier too')
  t.same(JSON.parse((await rawRequest(url, '/admin/titles', { headers: auth })).body.toString()).titles, [])
  t.same(JSON.parse(await readFile(join(dir, '.oca-pins.json'), 'utf8')), [], 'pin dropped')

  t.equal((await post(url, { titleId: '../etc', files: tt.list, parent: parent.url })).status, 400)
  t.equal((await post(url, { titleId: 't1', files: [{ ...tt.list[0], path: '../../x' }], parent: parent.url })).status, 400)
  t.equal((await post(url, { titleId: 't1', files: tt.list })).status, 400, 'no parent anywhere')
  t.equal((await post(url, { titleId: 't1', files: [{ path: 'a', bytes: -1, sha256: 'zz' }], parent: parent.url })).status, 400)
  t.equal((await rawRequest(url, '/admin/fills/nope', { headers: auth })).status, 404)
})
