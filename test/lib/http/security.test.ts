import t from 'tap'
import { checkAdminToken } from '../../../lib/http/admin-token.js'
import { cacheControlFor, contentTypeFor } from '../../../lib/http/content-type.js'
import { isSafeRelativePath, parseTitlePath } from '../../../lib/http/safe-path.js'
import { signedTitlePrefix, signTitle, verifyTitleSignature } from '../../../lib/http/signed-url.js'

t.test('title paths: plain package paths pass, traversal and encodings do not', async (t) => {
  t.same(parseTitlePath('titles/t1/v1/seg-00001.m4s'), { ok: true, value: { titleId: 't1', path: 'v1/seg-00001.m4s' } })
  for (const bad of [
    'titles/t1/../../etc/passwd',
    'titles/../etc/passwd',
    'titles/t1/%2e%2e/%2e%2e/etc/passwd',
    'titles/t1/..%2fetc',
    'titles/t1/a%00.m4s',
    'titles/t1/a\\..\\b',
    'titles/t1//etc/passwd',
    'titles/t1/.hidden.tmp',
    'titles/t1/...',
    'titles/t1',
    'etc/passwd',
    '/etc/passwd',
    'titles//etc/passwd',
    `titles/t1/${'a'.repeat(2000)}`,
  ]) {
    t.equal(parseTitlePath(bad).ok, false, bad)
  }
  t.ok(isSafeRelativePath('v1/init.mp4'))
  t.notOk(isSafeRelativePath('../x'))
  t.notOk(isSafeRelativePath('/abs'))
})

t.test('admin token: missing → missing, wrong → wrong, right → ok', async (t) => {
  const token = 'x'.repeat(24)
  t.equal(checkAdminToken(undefined, token), 'missing')
  t.equal(checkAdminToken('Basic abc', token), 'missing')
  t.equal(checkAdminToken('Bearer nope', token), 'wrong')
  t.equal(checkAdminToken(`Bearer ${token}x`, token), 'wrong')
  t.equal(checkAdminToken(`bearer ${token}`, token), 'ok')
})

t.test('signed title tokens: ok, expired, tampered, other title, malformed', async (t) => {
  const secret = 's'.repeat(32)
  const exp = 1_700_000_000
  const sig = signTitle(secret, 't1', exp)
  t.equal(verifyTitleSignature(secret, 't1', String(exp), sig, exp - 10), 'ok')
  t.equal(verifyTitleSignature(secret, 't1', String(exp), sig, exp + 1), 'expired')
  t.equal(verifyTitleSignature(secret, 't1', String(exp + 3600), sig, exp - 10), 'bad-signature', 'extending the expiry breaks the MAC')
  t.equal(verifyTitleSignature(secret, 't2', String(exp), sig, exp - 10), 'bad-signature', 'a token covers one title')
  const flipped = (sig[0] === 'A' ? 'B' : 'A') + sig.slice(1)
  t.equal(verifyTitleSignature(secret, 't1', String(exp), flipped, exp - 10), 'bad-signature')
  t.equal(verifyTitleSignature(secret, 't1', 'soon', sig, exp - 10), 'malformed')
  t.equal(signedTitlePrefix(secret, 't1', exp), `/t/${exp}/${sig}/titles/t1/`)
})

t.test('content types and cache policy', async (t) => {
  t.equal(contentTypeFor('master.m3u8'), 'application/vnd.apple.mpegurl')
  t.equal(contentTypeFor('manifest.mpd'), 'application/dash+xml')
  t.equal(contentTypeFor('v1/init.mp4'), 'video/mp4')
  t.equal(contentTypeFor('v1/seg-00001.m4s'), 'video/iso.segment')
  t.equal(contentTypeFor('v1.d/file'), 'application/octet-stream')
  t.match(cacheControlFor('v1/seg-00001.m4s'), /immutable/)
  t.equal(cacheControlFor('master.m3u8'), 'public, max-age=2')
})
