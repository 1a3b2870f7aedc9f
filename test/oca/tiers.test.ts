import t from 'tap'
import { chooseVictims } from '../../oca/eviction.js'
import { RateWindow } from '../../oca/rate-window.js'
import { waitFor } from '../helpers/wait.js'
import { auth, knownBytes, putFile, rawRequest, startOca, startParent, tempDir } from './helpers.js'

t.test('eviction policies choose by recency or frequency and never pinned objects', async (t) => {
  const c = [
    { key: 'a', bytes: 10, lastAccess: 3, hits: 9, pinned: false },
    { key: 'b', bytes: 10, lastAccess: 1, hits: 5, pinned: false },
    { key: 'c', bytes: 10, lastAccess: 2, hits: 1, pinned: false },
    { key: 'p', bytes: 50, lastAccess: 0, hits: 0, pinned: true },
  ]
  t.same(chooseVictims(c, 15, 'lru'), ['b', 'c'])
  t.same(chooseVictims(c, 5, 'lfu'), ['c'])
  t.same(chooseVictims(c, 0), [])
  t.equal(chooseVictims(c, 31), undefined, 'pinned bytes cannot be freed')
})

t.test('rate window: mean over full past seconds', async (t) => {
  const w = new RateWindow(2)
  w.add(100, 10_000)
  w.add(300, 11_500)
  w.add(999, 12_100) // current second, not counted yet
  t.equal(w.perSecond(12_200), 200)
  t.equal(w.perSecond(14_000), 999 / 2, 'old seconds drop out')
  t.equal(w.perSecond(20_000), 0)
})

t.test('the hot tier stays within its byte bound, keeps its objects through a scan, and takes in what becomes popular', async (t) => {
  const dir = await tempDir(t)
  const files = Array.from({ length: 10 }, (_, i) => knownBytes(30_000, i))
  for (const [i, b] of files.entries()) await putFile(dir, 't1', `v1/seg-${i}.m4s`, b)
  await putFile(dir, 't1', 'v1/big.m4s', knownBytes(80_000))
  const { app, url } = await startOca(t, { storeDir: dir, memoryBytes: 100_000, maxMemoryEntryBytes: 50_000 })
  const cacheOf = async (i: number) => {
    const r = await rawRequest(url, `/titles/t1/v1/seg-${i}.m4s`)
    t.ok(r.body.equals(files[i]!), `seg-${i} bytes`)
    return r.headers['x-cache']
  }
  // Round 1 fills the tier (3 × 30 kB fit), then plays the rest in turn; round 2 plays all ten again.
  for (let i = 0; i < 10; i++) {
    await cacheOf(i)
    if (i < 3) await waitFor(() => app.oca.hot.get('t1', `v1/seg-${i}.m4s`) !== undefined, `seg-${i} promoted while the tier had room`)
    const h = JSON.parse((await rawRequest(url, '/health')).body.toString())
    t.ok(h.memory.usedBytes <= 100_000, `memory tier ${h.memory.usedBytes} ≤ 100000`)
  }
  const round2 = []
  for (let i = 0; i < 10; i++) round2.push(await cacheOf(i))
  // Plain LRU would have evicted each object just before its turn came again (all HIT-DISK): the admission keeps the three.
  t.same(round2, [...Array(3).fill('HIT-MEMORY'), ...Array(7).fill('HIT-DISK')], 'a scan larger than the tier does not flush it')
  // seg-9 becomes popular: asked for more often than the least recently used entry, it gets in.
  for (let k = 0; k < 3; k++) await cacheOf(9)
  await waitFor(() => app.oca.hot.get('t1', 'v1/seg-9.m4s') !== undefined, 'seg-9 promoted once it is asked for more than an entry it evicts')
  t.equal(await cacheOf(9), 'HIT-MEMORY')
  t.same([await cacheOf(1), await cacheOf(2)], ['HIT-MEMORY', 'HIT-MEMORY'], 'one entry made room, no more')
  t.equal(await cacheOf(0), 'HIT-DISK', 'the least recently used one')
  for (let i = 0; i < 2; i++) {
    const big = await rawRequest(url, '/titles/t1/v1/big.m4s')
    t.equal(big.headers['x-cache'], 'HIT-DISK', 'objects above the entry limit stay on disk')
  }
  const metrics = (await rawRequest(url, '/metrics')).body.toString()
  t.match(metrics, /oca_evictions_total\{tier="memory",reason="evict"\} [1-9]/)
})

t.test('the disk store evicts least recently used objects to fit a fill, never pinned titles', async (t) => {
  const obj = (title: string, n: number) => [`/titles/${title}/seg-${n}.m4s`, knownBytes(40_000, n)] as const
  const parent = await startParent(t, Object.fromEntries([obj('t1', 1), obj('t1', 2), obj('t1', 3), obj('p', 1), obj('t1', 4)]))
  const dir = await tempDir(t)
  const { url } = await startOca(t, { storeDir: dir, parentUrl: parent.url, capacityBytes: 100_000, memoryBytes: 0 })
  const get = (p: string) => rawRequest(url, p)
  t.equal((await get('/titles/t1/seg-1.m4s')).status, 200)
  t.equal((await get('/titles/t1/seg-2.m4s')).status, 200)
  t.equal((await get('/titles/t1/seg-1.m4s')).headers['x-cache'], 'HIT-DISK', 'seg-1 is now the most recent')
  t.equal((await get('/titles/t1/seg-3.m4s')).status, 200, 'a third object needs room')
  const held = async () =>
    JSON.parse((await rawRequest(url, '/admin/titles', { headers: auth })).body.toString())
      .titles.flatMap((x: { id: string; files: { path: string }[] }) => x.files.map((f) => `${x.id}/${f.path}`))
      .sort()
  t.same(await held(), ['t1/seg-1.m4s', 't1/seg-3.m4s'], 'seg-2 (least recent) was evicted')

  // Pin title p, fill it, then a new t1 object may only displace t1 objects.
  t.equal(
    (await rawRequest(url, '/admin/titles/p/pin', { method: 'PUT', headers: { ...auth, 'content-type': 'application/json' }, body: '{"pinned":true}' })).status,
    200,
  )
  t.equal((await get('/titles/p/seg-1.m4s')).status, 200)
  t.equal((await get('/titles/t1/seg-4.m4s')).status, 200)
  const after = await held()
  t.ok(after.includes('p/seg-1.m4s'), 'the pinned title survived')
  t.ok(after.length <= 2)
  const h = JSON.parse((await rawRequest(url, '/health')).body.toString())
  t.ok(h.disk.usedBytes <= 100_000)
})
