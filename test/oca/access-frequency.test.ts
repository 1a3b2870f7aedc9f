import t from 'tap'
import { AccessFrequency } from '../../oca/access-frequency.js'

t.test('counts accesses and halves them all every sample, dropping what halves to zero', async (t) => {
  const f = new AccessFrequency(() => 10)
  for (let i = 0; i < 6; i++) f.touch('a')
  for (let i = 0; i < 3; i++) f.touch('b')
  t.same([f.of('a'), f.of('b'), f.of('c')], [6, 3, 0])
  f.touch('c') // the 10th access: everything halves
  t.same([f.of('a'), f.of('b'), f.of('c')], [3, 1, 0], 'a one-off access is forgotten at the next halving')
  for (let i = 0; i < 10; i++) f.touch('d')
  t.same([f.of('a'), f.of('b'), f.of('d')], [1, 0, 5], 'what was popular fades as the new counts grow')
})

t.test('the sample size is read at each access, so it can follow the cache', async (t) => {
  let size = 100
  const f = new AccessFrequency(() => size)
  for (let i = 0; i < 50; i++) f.touch('a')
  t.equal(f.of('a'), 50)
  size = 51
  f.touch('a')
  t.equal(f.of('a'), 25, 'halved at the 51st access once the sample shrank to 51')
})
