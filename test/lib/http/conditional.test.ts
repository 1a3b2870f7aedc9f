import t from 'tap'
import { etagForSha256, evaluatePreconditions, httpDate, parseETagList, rangeApplies, strongMatch, weakMatch } from '../../../lib/http/conditional.js'
import { planResponse } from '../../../lib/http/plan-response.js'

const lastModified = Date.UTC(2024, 4, 1, 12, 0, 0)
const v = { etag: '"aaaa"', lastModified }

t.test('entity-tag lists and comparison (§8.8.3)', async (t) => {
  t.same(parseETagList('"a", W/"b",  "c"'), ['"a"', 'W/"b"', '"c"'])
  t.same(parseETagList('*'), ['*'])
  t.ok(strongMatch('"a"', '"a"'))
  t.notOk(strongMatch('W/"a"', '"a"'))
  t.ok(weakMatch('W/"a"', '"a"'))
  t.equal(etagForSha256('f'.repeat(64)), `"${'f'.repeat(32)}"`)
})

t.test('If-None-Match beats If-Modified-Since; weak comparison; 304 only for GET/HEAD', async (t) => {
  t.equal(evaluatePreconditions('GET', { 'if-none-match': 'W/"aaaa"' }, v), 'not-modified')
  t.equal(evaluatePreconditions('GET', { 'if-none-match': '"zzz", "aaaa"' }, v), 'not-modified')
  t.equal(evaluatePreconditions('GET', { 'if-none-match': '*' }, v), 'not-modified')
  t.equal(evaluatePreconditions('GET', { 'if-none-match': '"zzz"', 'if-modified-since': httpDate(lastModified) }, v), 'proceed', 'IMS ignored when INM present')
  t.equal(evaluatePreconditions('GET', { 'if-modified-since': httpDate(lastModified) }, v), 'not-modified')
  t.equal(evaluatePreconditions('GET', { 'if-modified-since': httpDate(lastModified - 1000) }, v), 'proceed')
  t.equal(evaluatePreconditions('GET', { 'if-modified-since': 'not a date' }, v), 'proceed')
  t.equal(evaluatePreconditions('POST', { 'if-none-match': '"aaaa"' }, v), 'precondition-failed')
})

t.test('If-Match (strong) and If-Unmodified-Since give 412', async (t) => {
  t.equal(evaluatePreconditions('GET', { 'if-match': '"aaaa"' }, v), 'proceed')
  t.equal(evaluatePreconditions('GET', { 'if-match': 'W/"aaaa"' }, v), 'precondition-failed')
  t.equal(evaluatePreconditions('GET', { 'if-match': '"b"' }, v), 'precondition-failed')
  t.equal(evaluatePreconditions('GET', { 'if-unmodified-since': httpDate(lastModified - 5000) }, v), 'precondition-failed')
  t.equal(evaluatePreconditions('GET', { 'if-unmodified-since': httpDate(lastModified) }, v), 'proceed')
  const rep = { size: 4, etag: '"aaaa"', lastModified, contentType: 'x', cacheControl: 'c' }
  t.equal(planResponse('GET', { 'if-match': '"nope"' }, rep).status, 412)
  const nm = planResponse('GET', { 'if-none-match': '"aaaa"' }, rep)
  t.equal(nm.status, 304)
  t.equal(nm.headers.etag, '"aaaa"', '304 repeats the validators')
})

t.test('If-Range: strong tag or exact date, else the full body', async (t) => {
  t.ok(rangeApplies({}, v))
  t.ok(rangeApplies({ 'if-range': '"aaaa"' }, v))
  t.notOk(rangeApplies({ 'if-range': 'W/"aaaa"' }, v), 'weak tags never match If-Range')
  t.notOk(rangeApplies({ 'if-range': '"old"' }, v))
  t.ok(rangeApplies({ 'if-range': httpDate(lastModified) }, v))
  t.notOk(rangeApplies({ 'if-range': httpDate(lastModified + 60_000) }, v))
  t.notOk(rangeApplies({ 'if-range': 'garbage' }, v))
})
