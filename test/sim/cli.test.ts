import t from 'tap'
import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { oclab } from '../helpers/cli.js'
import { TRACES } from './helpers.js'


const master = (kbps: number[]) =>
  '#EXTM3U\n#EXT-X-VERSION:7\n' + kbps.map((k) => `#EXT-X-STREAM-INF:BANDWIDTH=${k * 1000},RESOLUTION=640x360\nv${k}.m3u8\n`).join('')
const media = '#EXTM3U\n#EXT-X-TARGETDURATION:4\n' + Array.from({ length: 30 }, (_, i) => `#EXTINF:4.0,\ns${i}.m4s\n`).join('') + '#EXT-X-ENDLIST\n'

t.test('oclab sim: table, JSON, HTML and --compare on real traces', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'oclab-sim-cli-'))
  for (const k of [200, 400, 800, 1600, 3200, 6400]) await writeFile(join(dir, `v${k}.m3u8`), media)
  await writeFile(join(dir, 'a.m3u8'), master([400, 800, 1600, 3200]))
  await writeFile(join(dir, 'b.m3u8'), master([200, 400, 800, 1600, 3200, 6400]))
  const traces = ['--trace', join(TRACES, 'cooked'), '--trace', 'constant:kbps=5000']

  const table = await oclab(['sim', '--title', join(dir, 'a.m3u8'), ...traces, '--abr', 'bba,mpc', '--html', join(dir, 'r.html')])
  t.equal(table.code, 0, table.err)
  t.match(table.out, /estimated as \(AVERAGE-\)BANDWIDTH × duration/)
  t.match(table.out, /cooked: 12 traces/)
  t.match(table.out, /constant:kbps=5000: 1 traces/)
  t.match(await readFile(join(dir, 'r.html'), 'utf8'), /<svg class="chart"/)

  const json = await oclab(['sim', '--title', join(dir, 'a.m3u8'), '--trace', 'constant:kbps=5000', '--abr', 'throughput', '--json', '--abandon', '--rtt', '40'])
  t.equal(json.code, 0, json.err)
  const parsed = JSON.parse(json.out)
  t.equal(parsed.cells[0].algorithm, 'throughput')
  t.equal(parsed.cells[0].sessions[0].metrics.rebufferCount, 0)
  t.equal(parsed.cells[0].sessions[0].metrics.segments, 30)

  const cmp = await oclab(['sim', '--compare', join(dir, 'a.m3u8'), join(dir, 'b.m3u8'), ...traces, '--abr', 'bola,dynamic', '--duration', '60'])
  t.equal(cmp.code, 0, cmp.err)
  t.match(cmp.out, /QoE A\s+QoE B\s+Δ/)
  t.match(cmp.out, /^bola\s/m)
})

t.test('oclab sim: usage errors exit 2, bad inputs exit 1 with the reason', async (t) => {
  const noTrace = await oclab(['sim', '--title', 'x.m3u8'])
  t.equal(noTrace.code, 2)
  t.match(noTrace.err, /--trace is required/)
  t.equal((await oclab(['sim', '--trace', 'constant:kbps=1'])).code, 2)
  t.match((await oclab(['sim', '--title', 'a', '--trace', 'constant:kbps=1', '--abr', 'magic'])).err, /unknown algorithm\(s\) magic/)
  t.equal((await oclab(['sim', '--compare', 'a', '--trace', 'constant:kbps=1'])).code, 2)
  t.equal((await oclab(['sim', '--title', 'a', '--trace', 'x', '--buffer', 'lots'])).code, 2)
  const dir = await mkdtemp(join(tmpdir(), 'oclab-sim-cli-bad-'))
  await writeFile(join(dir, 'bad.txt'), '0\t1\n1\toops\n')
  await writeFile(join(dir, 'v.m3u8'), media)
  await writeFile(join(dir, 'm.m3u8'), master([500]).replace('v500', 'v'))
  const badTrace = await oclab(['sim', '--title', join(dir, 'm.m3u8'), '--trace', join(dir, 'bad.txt')])
  t.equal(badTrace.code, 1)
  t.match(badTrace.err, /bad\.txt: line 2: throughput \(Mbit\/s\) "oops" is not a number/)
  const badManifest = await oclab(['sim', '--title', join(dir, 'nope.mpd'), '--trace', 'constant:kbps=1'])
  t.equal(badManifest.code, 1)
  t.match(badManifest.err, /cannot read/)
})
