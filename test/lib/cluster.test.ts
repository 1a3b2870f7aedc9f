import t from 'tap'
import { parentUrl, validateCluster } from '../../lib/cluster.js'

const base = {
  version: 1,
  adminToken: 'x'.repeat(32),
  origin: { url: 'http://127.0.0.1:8100' },
  steering: { url: 'http://127.0.0.1:8090' },
  ocas: [
    { id: 'a1', url: 'http://127.0.0.1:8101', site: 'a', region: 'eu', lat: 59.9, lon: 10.7, coverage: ['127.0.1.0/24'], capacityBytes: 1e9 },
    { id: 'a2', url: 'http://127.0.0.1:8102', site: 'a', region: 'eu', lat: 59.9, lon: 10.7, coverage: [], capacityBytes: 1e9, parent: 'a1' },
  ],
}

t.test('a valid cluster file is accepted and parents resolve', async (t) => {
  const c = validateCluster(structuredClone(base))
  t.equal(parentUrl(c, c.ocas[0]!), 'http://127.0.0.1:8100')
  t.equal(parentUrl(c, c.ocas[1]!), 'http://127.0.0.1:8101')
})

t.test('shape errors name the field', async (t) => {
  const bad = structuredClone(base) as Record<string, unknown>
  bad.adminToken = 'short'
  t.throws(() => validateCluster(bad), { code: 'OCLAB_ERR_BAD_CONFIG', message: /\/adminToken/ })
})

t.test('cross-reference errors are caught', async (t) => {
  const dup = structuredClone(base)
  dup.ocas[1]!.id = 'a1'
  t.throws(() => validateCluster(dup), /duplicate OCA id "a1"/)
  const orphan = structuredClone(base)
  orphan.ocas[1]!.parent = 'nope'
  t.throws(() => validateCluster(orphan), /unknown OCA "nope"/)
})
