import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import t from 'tap'
import { sha256 } from '../../lib/hash.js'
import { reprDigest } from '../../lib/http/repr-digest.js'
import { flipBits } from '../helpers/bytes.js'
import { waitFor } from '../helpers/wait.js'
import { auth, knownBytes, putFile, rawRequest, startOca, startParent, tempDir } from './helpers.js'

const OBJ = '/titles/t1/v1/seg-00001.m4s'

async function filesUnder(dir: string): Promise<string[]> {
  return (await readdir(join(dir, 'titles'), { recursive: true, withFileTypes: true })).filter((d) => d.isFile()).map((d) => d.name)
}

function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void
  const promise = new Promise<void>((r) => (open = r))
  return { promise, open }
}

const inFlight = (app: FastifyInstance): number => app.oca.inFlight

t.test('100 concurrent requests for one cold object: exactly one parent fetch, 100 identical bodies', async (t) => {
  const body = knownBytes(300_000, 3)
  const parent = await startParent(t, { [OBJ]: body })
  const g = gate()
  parent.hold = g.promise
  const dir = await tempDir(t)
  const { app, url } = await startOca(t, { storeDir: dir, parentUrl: parent.url })
  const responses = Array.from({ length: 100 }, () => rawRequest(url, OBJ))
  // Release the parent only once all 100 are inside the node, so they really overlap.
  await waitFor(() => inFlight(app) >= 100, '100 requests inside the node', { state: () => ({ inFlight: inFlight(app), parentRequests: parent.total() }) })
  g.open()
  const got = await Promise.all(responses)
  t.equal(parent.count.get(OBJ), 1, 'the parent saw one request')
  t.equal(parent.total(), 1)
  t.ok(
    got.every((r) => r.status === 200),
    'all 200',
  )
  t.ok(
    got.every((r) => r.body.equals(body)),
    'all bodies are the object',
  )
  t.ok(got.every((r) => r.headers['x-cache'] === 'MISS'))
  const metrics = (await rawRequest(url, '/metrics')).body.toString()
  t.match(metrics, /oca_collapsed_requests_total 99/)
  const again = await rawRequest(url, OBJ)
  t.equal(again.headers['x-cache'], 'HIT-MEMORY', 'then served from the hot tier')
  t.equal(parent.total(), 1)
  t.same(await filesUnder(dir), ['seg-00001.m4s'], 'stored under its name, no temp files left')
})

/** A parent that sends the first 100 kB of `body` with its digest, then holds the rest until `g.open()`: a fill stays mid-body. */
async function holdingParent(t: Parameters<typeof startParent>[0], body: Buffer) {
  const parent = await startParent(t, {})
  const g = gate()
  parent.handler = async (_req, res) => {
    res.writeHead(200, { 'content-length': body.length, 'repr-digest': reprDigest(sha256(body)) })
    res.write(body.subarray(0, 100_000))
    await g.promise
    res.end(body.subarray(100_000))
    return true
  }
  return { parent, g }
}

t.test('a miss streams before the parent has finished (the client does not wait for the whole object)', async (t) => {
  const body = knownBytes(200_000, 5)
  const { parent, g } = await holdingParent(t, body)
  const dir = await tempDir(t)
  const { url } = await startOca(t, { storeDir: dir, parentUrl: parent.url })
  // Read the first bytes through undici while the parent is still holding the rest.
  const { request } = await import('undici')
  const res = await request(`${url}${OBJ}`)
  t.equal(res.statusCode, 200)
  t.equal(res.headers['content-length'], String(body.length))
  const it = res.body[Symbol.asyncIterator]()
  const first = (await it.next()).value as Buffer
  t.ok(first.length > 0, 'bytes arrived while the parent was mid-object')
  t.ok(first.equals(body.subarray(0, first.length)))
  g.open()
  const rest: Buffer[] = [first]
  for (let n = await it.next(); !n.done; n = await it.next()) rest.push(n.value as Buffer)
  t.ok(Buffer.concat(rest).equals(body))
})

t.test('requests arriving mid-body of a collapsed fill join it: still one parent fetch', async (t) => {
  const body = knownBytes(300_000, 17)
  const { parent, g } = await holdingParent(t, body)
  const dir = await tempDir(t)
  const { app, url } = await startOca(t, { storeDir: dir, parentUrl: parent.url })
  // The first client is reading bytes while the parent holds the rest: the fill is mid-body.
  const { request } = await import('undici')
  const first = await request(`${url}${OBJ}`)
  const it = first.body[Symbol.asyncIterator]()
  const head = (await it.next()).value as Buffer
  t.ok(head.length > 0 && head.length < body.length, 'the first client has part of the body')
  t.equal(parent.total(), 1)
  const late = [rawRequest(url, OBJ), rawRequest(url, OBJ, { headers: { range: 'bytes=250000-250009' } }), rawRequest(url, OBJ, { method: 'HEAD' })] as const
  await waitFor(() => inFlight(app) >= 4, 'the three late requests inside the node', { state: () => ({ inFlight: inFlight(app) }) })
  t.equal(parent.total(), 1, 'no second parent fetch while the first is mid-body')
  g.open()
  const rest: Buffer[] = [head]
  for (let n = await it.next(); !n.done; n = await it.next()) rest.push(n.value as Buffer)
  t.ok(Buffer.concat(rest).equals(body), 'the first client got the whole object')
  const [plain, ranged, headReq] = await Promise.all(late)
  t.ok(plain.status === 200 && plain.body.equals(body), 'a plain GET that joined mid-body replays from byte 0')
  t.equal(ranged.status, 206)
  t.ok(ranged.body.equals(body.subarray(250_000, 250_010)))
  t.equal(headReq.status, 200)
  t.equal(headReq.headers['content-length'], String(body.length))
  t.equal(parent.total(), 1, 'the parent saw exactly one request')
  t.match((await rawRequest(url, '/metrics')).body.toString(), /oca_collapsed_requests_total 3/)
})

t.test('parent killed mid-fill: clean 502 for waiting clients, no partial object, next request retries', async (t) => {
  const body = knownBytes(400_000, 9)
  const parent = await startParent(t, { [OBJ]: body })
  const g = gate()
  parent.handler = async (_req, res, n) => {
    if (n > 1) return false
    await g.promise
    res.writeHead(200, { 'content-length': body.length, 'repr-digest': reprDigest(sha256(body)) })
    res.write(body.subarray(0, 150_000), () => res.socket?.destroy())
    return true
  }
  const dir = await tempDir(t)
  const { app, url } = await startOca(t, { storeDir: dir, parentUrl: parent.url })
  const plain = rawRequest(url, OBJ).then(
    (r) => ({ complete: true, r }),
    () => ({ complete: false, r: undefined }),
  )
  const ranged = rawRequest(url, OBJ, { headers: { range: 'bytes=0-99' } })
  const head = rawRequest(url, OBJ, { method: 'HEAD' })
  await waitFor(() => inFlight(app) >= 3, '3 requests inside the node', { state: () => ({ inFlight: inFlight(app) }) })
  g.open()
  const [p, r, h] = await Promise.all([plain, ranged, head])
  t.equal(r.status, 502, 'a range request waiting for the object gets 502')
  t.equal(h.status, 502, 'HEAD too')
  // The plain GET was already streaming: its status cannot change, so the
  // node cuts the connection rather than let a short body look complete.
  t.ok(!p.complete || (p.r!.status === 200 && p.r!.body.length < body.length), 'the streaming client never gets a complete-looking body')
  t.notOk(p.complete && p.r!.body.equals(body))
  t.same(await filesUnder(dir), [], 'nothing stored, not even a temp file')
  const titles = JSON.parse((await rawRequest(url, '/admin/titles', { headers: auth })).body.toString()).titles
  t.same(titles, [])
  const retry = await rawRequest(url, OBJ)
  t.equal(retry.status, 200, 'the next request fetches again')
  t.ok(retry.body.equals(body))
  t.equal(parent.count.get(OBJ), 2)
})

t.test('parent down or dropping the connection before headers: 502; parent timeout: 504; parent 404: 404', async (t) => {
  const parent = await startParent(t, {})
  parent.handler = async (req, res) => {
    if (req.url!.includes('drop')) res.socket?.destroy()
    else if (req.url!.includes('slow')) await new Promise((r) => setTimeout(r, 2000)).then(() => res.destroy())
    else return false
    return true
  }
  const dir = await tempDir(t)
  const { url } = await startOca(t, { storeDir: dir, parentUrl: parent.url, fill: { headersTimeoutMs: 100 } })
  t.equal((await rawRequest(url, '/titles/t1/drop.m4s')).status, 502)
  t.equal((await rawRequest(url, '/titles/t1/slow.m4s')).status, 504)
  t.equal((await rawRequest(url, '/titles/t1/absent.m4s')).status, 404)
  const downDir = await tempDir(t)
  const { url: url2 } = await startOca(t, { storeDir: downDir, parentUrl: 'http://127.0.0.1:9' })
  t.equal((await rawRequest(url2, OBJ)).status, 502)
  t.same(await filesUnder(dir), [])
})

t.test('a fill on miss is verified against the title.json the node holds', async (t) => {
  const good = knownBytes(50_000, 1)
  const bad = Buffer.from(good)
  flipBits(bad, 25_000, 0xff)
  const parent = await startParent(t, { [OBJ]: bad })
  const dir = await tempDir(t)
  await putFile(dir, 't1', 'title.json', JSON.stringify({ files: [{ path: 'v1/seg-00001.m4s', bytes: good.length, sha256: sha256(good) }] }))
  const { url } = await startOca(t, { storeDir: dir, parentUrl: parent.url })
  t.equal((await rawRequest(url, OBJ, { method: 'HEAD' })).status, 502, 'corrupted bytes are refused')
  t.same(await filesUnder(dir), ['title.json'])
  parent.objects.set(OBJ, good)
  const ok = await rawRequest(url, OBJ)
  t.equal(ok.status, 200)
  t.ok(ok.body.equals(good))
})

t.test('miss modes: redirect to the parent, or 404 when fill on miss is off', async (t) => {
  const parent = await startParent(t, { [OBJ]: knownBytes(10) })
  const dir = await tempDir(t)
  const redirect = await startOca(t, { storeDir: dir, parentUrl: parent.url, missMode: 'redirect' })
  const r = await rawRequest(redirect.url, OBJ)
  t.equal(r.status, 302)
  t.equal(r.headers.location, `${parent.url}${OBJ}`)
  const off = await startOca(t, { storeDir: await tempDir(t), parentUrl: parent.url, missMode: 'off' })
  t.equal((await rawRequest(off.url, OBJ)).status, 404)
  t.equal(parent.total(), 0, 'neither mode fetched')
})

t.test('an OCA can be the parent of another, with signed URLs between them', async (t) => {
  const secret = 'cluster-signing-secret-123'
  const body = knownBytes(70_000, 11)
  const topDir = await tempDir(t)
  await putFile(topDir, 't1', 'v1/seg-00001.m4s', body)
  const top = await startOca(t, { storeDir: topDir, signing: { secret } })
  const edge = await startOca(t, { storeDir: await tempDir(t), parentUrl: top.url, signing: { secret, required: false } })
  const r = await rawRequest(edge.url, OBJ)
  t.equal(r.status, 200)
  t.ok(r.body.equals(body))
  t.equal(r.headers.etag, `"${sha256(body).slice(0, 32)}"`, 'the parent ETag is carried, and matches the content hash')
})

t.test('a peer parent that is down before answering is replaced by the origin, the parent of last resort', async (t) => {
  const body = knownBytes(50_000, 9)
  const origin = await startParent(t, { [OBJ]: body })
  const { url } = await startOca(t, { storeDir: await tempDir(t), parentUrl: 'http://127.0.0.1:9', fallbackParentUrl: origin.url })
  const got = await rawRequest(url, OBJ)
  t.equal(got.status, 200, 'the miss is filled from the origin')
  t.ok(got.body.equals(body))
  t.equal(origin.count.get(OBJ), 1)
  const absent = await rawRequest(url, '/titles/t1/absent.m4s')
  t.equal(absent.status, 404, "the origin's own answer reaches the client")
  t.equal(origin.count.get('/titles/t1/absent.m4s'), 1, 'the origin was asked once')
})
