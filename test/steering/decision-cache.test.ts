import t from 'tap'
import { DecisionCache } from '../../steering/decision-cache.js'
import { HealthChecker } from '../../steering/health-checker.js'
import { STEERING_DEFAULTS } from '../../steering/options.js'
import { OcaRegistry } from '../../steering/registry.js'

t.test('a generation lives for one registry version and max entries', async (t) => {
  const c = new DecisionCache<string>(3)
  c.refresh(1)
  c.set('ams', 't1', 'a')
  c.set('ams', 't2', 'b')
  c.set('fra', 't1', 'c')
  c.refresh(1)
  t.equal(c.get('ams', 't1'), 'a', 'full (3 of 3): a new generation, but the full one had the same inputs: carried over')
  c.set('ams', 't1', 'a2')
  c.refresh(1)
  t.equal(c.get('ams', 't1'), 'a2', 'replacing an entry does not count twice; same inputs: kept')
  t.equal(c.get('fra', 't1'), 'c', 'still carried from the full generation')
  t.equal(c.get('ams', 't2'), 'b')
  c.refresh(1)
  t.equal(c.get('ams', 't1'), 'a2', 'full again (three carried): an entry asked for again travels on')
  c.set('lis', 't9', 'd')
  c.set('lis', 't8', 'e')
  c.refresh(1)
  t.equal(c.get('fra', 't1'), undefined, 'full once more: an entry nobody asked for during a whole generation is gone')
  t.equal(c.get('lis', 't9'), 'd')
  c.set('ams', 't1', 'a')
  c.set('ams', 't2', 'b')
  c.set('fra', 't1', 'c')
  c.refresh(2)
  t.equal(c.get('fra', 't1'), undefined, 'registry version changed while full: nothing carried')
  t.equal(c.get('ams', 't1'), undefined, 'registry version changed: dropped')
  c.set('ams', 't1', 'x')
  c.refresh(2)
  t.equal(c.get('ams', 't1'), 'x', 'same version, not full: the same generation (expiry is the caller’s: it re-signs)')
})

t.test('the health checker can be stopped twice (server close after a CLI stop)', async (t) => {
  const checker = new HealthChecker(new OcaRegistry([]), STEERING_DEFAULTS.health)
  checker.start()
  await checker.stop()
  await t.resolves(checker.stop())
})
