import { mkdir, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import { signedTitlePrefix } from '../../lib/http/signed-url.js'
import { ADMIN, auth, knownBytes, putFile, rawRequest, startOca, tempDir } from './helpers.js'

const SECRET = 'signing-secret-0123456789'

t.test('traversal attempts (raw and encoded) get 400/404 and never a file outside the store', async (t) => {
  const root = await tempDir(t)
  const store = join(root, 'store')
  const secret = 'TOP-SECRET-OUTSIDE-THE-STORE'
  await writeFile(join(root, 'secret.txt'), secret)
  await mkdir(join(root, 'outside'))
  await writeFile(join(root, 'outside', 'seg.m4s'), secret)
  await putFile(store, 't1', 'v1/seg-00001.m4s', knownBytes(64))
  // Symlinks planted inside the store: a file link and a directory link, both pointing out.
  await symlink(join(root, 'secret.txt'), join(store, 'titles', 't1', 'v1', 'leak.m4s'))
  await symlink(join(root, 'outside'), join(store, 'titles', 'evil'))
  const { url } = await startOca(t, { storeDir: store })

  const attempts = [
    '/titles/t1/../../secret.txt',
    '/titles/t1/v1/../../../secret.txt',
    '/titles/../secret.txt',
    '/titles/t1/%2e%2e/%2e%2e/secret.txt',
    '/titles/t1/%2E%2E%2F%2E%2E%2Fsecret.txt',
    '/titles/t1/..%2f..%2fsecret.txt',
    '/titles/t1/%252e%252e/secret.txt',
    '/titles/t1/..%5c..%5csecret.txt',
    '/titles/t1/v1%00/seg-00001.m4s',
    '/titles/t1//etc/passwd',
    '/titles/%2fetc/passwd',
    '/titles/t1/v1/leak.m4s',
    '/titles/evil/seg.m4s',
    '/etc/passwd',
    '/secret.txt',
    '/../secret.txt',
    '/titles/t1/.%2e/.%2e/secret.txt',
    `/t/1/x/titles/t1/../../secret.txt`,
  ]
  for (const path of attempts) {
    const r = await rawRequest(url, path)
    t.ok(r.status === 400 || r.status === 404 || r.status === 403, `${path} → ${r.status}`)
    t.notOk(r.body.toString('latin1').includes(secret), `${path} leaks nothing`)
  }
  const ok = await rawRequest(url, '/titles/t1/v1/seg-00001.m4s')
  t.equal(ok.status, 200, 'the legitimate file is still served')
})

t.test('admin endpoints: no token → 401, wrong token → 403, right token → 200', async (t) => {
  const dir = await tempDir(t)
  await putFile(dir, 't1', 'v1/seg-00001.m4s', knownBytes(64))
  const { url } = await startOca(t, { storeDir: dir })
  const endpoints: [string, string, string?][] = [
    ['GET', '/admin/titles'],
    ['GET', '/admin/fills'],
    ['POST', '/admin/delay', '{"ms":0}'],
    ['DELETE', '/admin/titles/t1'],
    ['POST', '/admin/fill', '{"titleId":"t1","files":[]}'],
    ['POST', '/admin/drain', '{}'],
  ]
  for (const [method, path, body] of endpoints) {
    const headers: Record<string, string> = body ? { 'content-type': 'application/json' } : {}
    const none = await rawRequest(url, path, { method, headers, body })
    t.equal(none.status, 401, `${method} ${path} without token`)
    t.equal(none.headers['www-authenticate'], 'Bearer')
    const wrong = await rawRequest(url, path, { method, headers: { ...headers, authorization: `Bearer ${ADMIN}x` }, body })
    t.equal(wrong.status, 403, `${method} ${path} with a wrong token`)
  }
  const held = await rawRequest(url, '/titles/t1/v1/seg-00001.m4s')
  t.equal(held.status, 200, 'nothing was purged or drained by unauthenticated calls')
  const list = await rawRequest(url, '/admin/titles', { headers: auth })
  t.equal(list.status, 200)
  const titles = JSON.parse(list.body.toString()).titles
  t.equal(titles[0].id, 't1')
  t.equal(titles[0].files[0].path, 'v1/seg-00001.m4s')
  t.equal(titles[0].files[0].bytes, 64)
})

t.test('request limits: oversized headers and admin bodies are refused', async (t) => {
  const dir = await tempDir(t)
  const { url } = await startOca(t, { storeDir: dir, limits: { bodyLimitBytes: 1024, maxHeaderBytes: 4096 } })
  const big = await rawRequest(url, '/titles/t1/x.m4s', { headers: { 'x-junk': 'a'.repeat(8192) } })
  t.equal(big.status, 431)
  const body = JSON.stringify({ titleId: 't1', files: Array.from({ length: 50 }, (_, i) => ({ path: `f${i}`, bytes: 1, sha256: '0'.repeat(64) })) })
  const r = await rawRequest(url, '/admin/fill', { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body })
  t.equal(r.status, 413)
})

t.test('signed playback URLs: ok, expired, tampered, wrong title, unsigned refused', async (t) => {
  const dir = await tempDir(t)
  const seg = knownBytes(500)
  await putFile(dir, 't1', 'v1/seg-00001.m4s', seg)
  await putFile(dir, 't2', 'v1/seg-00001.m4s', seg)
  const { url } = await startOca(t, { storeDir: dir, signing: { secret: SECRET } })
  const now = Math.floor(Date.now() / 1000)
  const good = signedTitlePrefix(SECRET, 't1', now + 600)
  const ok = await rawRequest(url, `${good}v1/seg-00001.m4s`)
  t.equal(ok.status, 200)
  t.ok(ok.body.equals(seg))
  const ranged = await rawRequest(url, `${good}v1/seg-00001.m4s`, { headers: { range: 'bytes=0-9' } })
  t.equal(ranged.status, 206, 'one token covers every file and request kind of the title')

  const expired = signedTitlePrefix(SECRET, 't1', now - 5)
  t.equal((await rawRequest(url, `${expired}v1/seg-00001.m4s`)).status, 403)
  const [, , exp, sig] = good.split('/')
  const tamperedSig = `/t/${exp}/${(sig![0] === 'A' ? 'B' : 'A') + sig!.slice(1)}/titles/t1/v1/seg-00001.m4s`
  t.equal((await rawRequest(url, tamperedSig)).status, 403)
  const tamperedExp = `/t/${Number(exp) + 86400}/${sig}/titles/t1/v1/seg-00001.m4s`
  t.equal((await rawRequest(url, tamperedExp)).status, 403)
  t.equal((await rawRequest(url, `/t/${exp}/${sig}/titles/t2/v1/seg-00001.m4s`)).status, 403, 'a t1 token does not open t2')
  t.equal((await rawRequest(url, '/titles/t1/v1/seg-00001.m4s')).status, 403, 'unsigned URLs are refused when signing is required')
  const wrongSecret = signedTitlePrefix('another-secret-0123456789', 't1', now + 600)
  t.equal((await rawRequest(url, `${wrongSecret}v1/seg-00001.m4s`)).status, 403)
})
