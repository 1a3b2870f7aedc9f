import t from 'tap'
import { DecisionCache } from '../../steering/decision-cache.js'
import { HealthChecker } from '../../steering/health-checker.js'
import { OcaRegistry } from '../../steering/registry.js'
import { STEERING_DEFAULTS } from '../../steering/options.js'

t.test('a generation lives for one registry version, one expiry and max entries', async (t) => {
  const c = new DecisionCache<string>(3)
  c.refresh(1, 600)
  c.set('ams', 't1', 'a')
  c.set('ams', 't2', 'b')
  c.set('fra', 't1', 'c')
  c.refresh(1, 600)
  t.equal(c.get('ams', 't1'), undefined, 'full (3 of 3): dropped')
  c.set('ams', 't1', 'a')
  c.set('ams', 't1', 'a2')
  c.refresh(1, 600)
  t.equal(c.get('ams', 't1'), 'a2', 'replacing an entry does not count twice; same inputs: kept')
  t.equal(c.get('fra', 't1'), undefined)
  c.refresh(2, 600)
  t.equal(c.get('ams', 't1'), undefined, 'registry version changed: dropped')
  c.set('ams', 't1', 'x')
  c.refresh(2, 660)
  t.equal(c.get('ams', 't1'), undefined, 'token expiry changed: dropped')
  c.set('ams', 't1', 'z')
  c.refresh(2, undefined)
  t.equal(c.get('ams', 't1'), undefined, 'unsigned (no expiry) is another generation')
})

t.test('the health checker can be stopped twice (server close after a CLI stop)', async (t) => {
  const checker = new HealthChecker(new OcaRegistry([]), STEERING_DEFAULTS.health)
  checker.start()
  await checker.stop()
  await t.resolves(checker.stop())
})
