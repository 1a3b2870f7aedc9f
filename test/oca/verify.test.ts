import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import { sha256 } from '../../lib/hash.js'
import { parseReprDigest, reprDigest } from '../../lib/http/repr-digest.js'
import { type Got, knownBytes, putFile, rawRequest, startOca, startParent, tempDir } from './helpers.js'

/**
 * Issue 15 #2: a fill on miss of a title whose title.json the node does not
 * hold (the normal case) must still be verified, against the parent's RFC
 * 9530 Repr-Digest. Each lie a parent can tell gets the client a 502 (or a
 * cut connection once a streamed 200 has started), stores nothing, counts
 * oca_fill_verify_failures_total{reason}, and the next request fetches again.
 */
const OBJ = '/titles/t1/v1/seg-00001.m4s'
const BODY = knownBytes(120_000, 13)
const DIGEST = reprDigest(sha256(BODY))

type Lie = 'truncated-chunked' | 'cut-chunked' | 'short-content-length' | 'cut-content-length' | 'flipped-bytes' | 'no-digest'
const LIES: Record<Lie, { reason: string; write: (res: import('node:http').ServerResponse) => void }> = {
  // a chunked body that ends cleanly (last-chunk sent) half way
  'truncated-chunked': {
    reason: 'digest-mismatch',
    write: (res) => {
      res.writeHead(200, { 'repr-digest': DIGEST })
      res.end(BODY.subarray(0, 60_000))
    },
  },
  // a chunked body whose connection dies half way
  'cut-chunked': {
    reason: 'truncated',
    write: (res) => {
      res.writeHead(200, { 'repr-digest': DIGEST })
      res.write(BODY.subarray(0, 60_000), () => res.socket?.destroy())
    },
  },
  // a Content-Length that is short of the object, and exactly that many bytes
  'short-content-length': {
    reason: 'digest-mismatch',
    write: (res) => {
      res.writeHead(200, { 'content-length': 60_000, 'repr-digest': DIGEST })
      res.end(BODY.subarray(0, 60_000))
    },
  },
  // the full Content-Length promised, fewer bytes sent before the close
  'cut-content-length': {
    reason: 'truncated',
    write: (res) => {
      res.writeHead(200, { 'content-length': BODY.length, 'repr-digest': DIGEST })
      res.write(BODY.subarray(0, 60_000), () => res.socket?.destroy())
    },
  },
  'flipped-bytes': {
    reason: 'digest-mismatch',
    write: (res) => {
      const bad = Buffer.from(BODY)
      bad[100_000]! ^= 0x01
      res.writeHead(200, { 'content-length': bad.length, 'repr-digest': DIGEST })
      res.end(bad)
    },
  },
  'no-digest': {
    reason: 'no-digest',
    write: (res) => {
      res.writeHead(200, { 'content-length': BODY.length })
      res.end(BODY)
    },
  },
}

async function filesUnder(dir: string): Promise<string[]> {
  return (await readdir(join(dir, 'titles'), { recursive: true, withFileTypes: true }).catch(() => [])).filter((d) => d.isFile()).map((d) => d.name)
}

const verifyFailures = async (url: string, reason: string): Promise<number> => {
  const m = new RegExp(`^oca_fill_verify_failures_total\\{reason="${reason}",kind="miss"\\} (\\d+)$`, 'm').exec(
    (await rawRequest(url, '/metrics')).body.toString(),
  )
  return m ? Number(m[1]) : 0
}

for (const [lie, { reason, write }] of Object.entries(LIES) as [Lie, (typeof LIES)[Lie]][]) {
  t.test(`a lying parent (${lie}): 502 or a cut stream, nothing stored, counted as ${reason}, the next request fetches again`, async (t) => {
    const parent = await startParent(t, { [OBJ]: BODY })
    let lying = true
    parent.handler = (_req, res) => {
      if (!lying) return false
      write(res)
      return true
    }
    const dir = await tempDir(t)
    const { url } = await startOca(t, { storeDir: dir, parentUrl: parent.url })

    // A HEAD and a Range request wait for the verified object: they get a clean 502.
    t.equal((await rawRequest(url, OBJ, { method: 'HEAD' })).status, 502, 'HEAD: 502')
    t.equal((await rawRequest(url, OBJ, { headers: { range: 'bytes=0-9' } })).status, 502, 'Range: 502')
    // A plain GET streams as the bytes arrive: a clean 502 while its headers
    // are not sent yet (always so without a digest), else its connection is
    // cut before the last byte.
    const plain = await rawRequest(url, OBJ).then(
      (r): Got | undefined => r,
      () => undefined,
    )
    if (lie === 'no-digest') t.equal(plain?.status, 502, 'plain GET: 502 before any byte')
    else
      t.ok(
        plain === undefined || plain.status === 502 || (plain.status === 200 && plain.body.length < BODY.length),
        `plain GET: 502 or a cut stream, never a complete-looking body (got ${plain?.status ?? 'a cut connection'})`,
      )
    t.notOk(plain?.status === 200 && plain.body.equals(BODY))

    t.same(await filesUnder(dir), [], 'nothing stored, not even a temp file')
    t.equal(await verifyFailures(url, reason), 3, `oca_fill_verify_failures_total{reason="${reason}"} counts each refused fill`)
    t.equal(parent.count.get(OBJ), 3, 'each request tried the parent again')

    lying = false
    const ok = await rawRequest(url, OBJ)
    t.equal(ok.status, 200, 'an honest answer is filled')
    t.ok(ok.body.equals(BODY))
    t.equal(ok.headers['repr-digest'], DIGEST, 'and passed on with its digest')
    const hit = await rawRequest(url, OBJ, { headers: { range: 'bytes=5-9' } })
    t.equal(hit.headers['x-cache'], 'HIT-MEMORY')
    t.ok(hit.body.equals(BODY.subarray(5, 10)))
    t.equal(hit.headers['repr-digest'], DIGEST, 'a range answer carries the digest of the whole object (RFC 9530)')
  })
}

t.test('a parent that sends no digest is accepted when the node holds the title.json that lists the object', async (t) => {
  const parent = await startParent(t, {})
  parent.handler = (_req, res) => {
    res.writeHead(200, { 'content-length': BODY.length })
    res.end(BODY)
    return true
  }
  const dir = await tempDir(t)
  await putFile(dir, 't1', 'title.json', JSON.stringify({ files: [{ path: 'v1/seg-00001.m4s', bytes: BODY.length, sha256: sha256(BODY) }] }))
  const { url } = await startOca(t, { storeDir: dir, parentUrl: parent.url })
  const r = await rawRequest(url, OBJ)
  t.equal(r.status, 200)
  t.ok(r.body.equals(BODY))
  t.equal(r.headers['repr-digest'], DIGEST, 'the listed hash is passed on as the digest')
  t.same((await filesUnder(dir)).sort(), ['seg-00001.m4s', 'title.json'])
})

t.test('a parent whose digest contradicts the held title.json is refused before any byte', async (t) => {
  const other = knownBytes(BODY.length, 99)
  const parent = await startParent(t, { [OBJ]: other })
  const dir = await tempDir(t)
  await putFile(dir, 't1', 'title.json', JSON.stringify({ files: [{ path: 'v1/seg-00001.m4s', bytes: BODY.length, sha256: sha256(BODY) }] }))
  const { url } = await startOca(t, { storeDir: dir, parentUrl: parent.url })
  t.equal((await rawRequest(url, OBJ)).status, 502, 'even a plain GET gets a clean 502')
  t.equal(await verifyFailures(url, 'digest-mismatch'), 1)
})

t.test('an OCA parent mid-fill passes the digest on, so a child of a child verifies too', async (t) => {
  const origin = await startParent(t, { [OBJ]: BODY })
  const top = await startOca(t, { storeDir: await tempDir(t), parentUrl: origin.url })
  const edge = await startOca(t, { storeDir: await tempDir(t), parentUrl: top.url })
  const r = await rawRequest(edge.url, OBJ)
  t.equal(r.status, 200)
  t.ok(r.body.equals(BODY))
  t.equal(parseReprDigest(r.headers['repr-digest']), sha256(BODY))
})

t.test('Repr-Digest parsing: sha-256 member of a dictionary, malformed values ignored', async (t) => {
  const hex = sha256(BODY)
  t.equal(parseReprDigest(DIGEST), hex)
  t.equal(parseReprDigest(`sha-512=:${Buffer.alloc(64).toString('base64')}:, ${DIGEST}`), hex, 'other algorithms are skipped')
  t.equal(parseReprDigest([`sha-512=:${Buffer.alloc(64).toString('base64')}:`, DIGEST]), hex, 'repeated field lines are combined')
  t.equal(parseReprDigest(undefined), undefined)
  t.equal(parseReprDigest('sha-256=:AAAA:'), undefined, 'not 32 bytes')
  t.equal(parseReprDigest(`sha-256=${Buffer.from(hex, 'hex').toString('base64')}`), undefined, 'not a byte sequence')
  t.equal(parseReprDigest('md5=:1B2M2Y8AsgTpgAmY7PhCfg==:'), undefined, 'no sha-256 member')
})
