import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { oclab } from '../helpers/cli.js'
import { TRACES } from './helpers.js'

const master = (kbps: number[]) =>
  `#EXTM3U\n#EXT-X-VERSION:7\n${kbps.map((k) => `#EXT-X-STREAM-INF:BANDWIDTH=${k * 1000},RESOLUTION=640x360\nv${k}.m3u8\n`).join('')}`
const media = `#EXTM3U\n#EXT-X-TARGETDURATION:4\n${Array.from({ length: 30 }, (_, i) => `#EXTINF:4.0,\ns${i}.m4s\n`).join('')}#EXT-X-ENDLIST\n`

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

  const json = await oclab([
    'sim',
    '--title',
    join(dir, 'a.m3u8'),
    '--trace',
    'constant:kbps=5000',
    '--abr',
    'throughput',
    '--json',
    '--abandon',
    '--rtt',
    '40',
  ])
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

t.test('every failure line carries its OCLAB_ERR code; --json adds an error event (issue 15)', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'oclab-sim-cli-codes-'))
  await writeFile(join(dir, 'v.m3u8'), media)
  await writeFile(join(dir, 'm.m3u8'), master([500]).replace('v500', 'v'))
  await writeFile(join(dir, 'inf.txt'), '0\t1e305\n1\t5\n')
  const title = ['--title', join(dir, 'm.m3u8')]

  const usage = await oclab(['sim', ...title])
  t.match(usage.err, /^oclab sim: OCLAB_ERR_USAGE: --trace is required/)
  t.match((await oclab(['nonsense'])).err, /^oclab nonsense: OCLAB_ERR_USAGE: unknown command "nonsense"/)

  // 1e305 Mbit/s overflowed to Infinity and the table printed "mean Infinity Mbit/s" and QoE NaN.
  const inf = await oclab(['sim', ...title, '--trace', join(dir, 'inf.txt'), '--abr', 'bba'])
  t.equal(inf.code, 1)
  t.equal(inf.out, '', 'no table of Infinity and NaN')
  t.match(inf.err, /^oclab sim: OCLAB_ERR_BAD_TRACE: .*inf\.txt: the period starting at 0 s has throughput Infinity bit\/s/)

  const json = await oclab(['sim', ...title, '--trace', join(dir, 'missing.txt'), '--json'])
  t.equal(json.code, 1)
  t.same(JSON.parse(json.out), {
    type: 'error',
    command: 'sim',
    code: 'OCLAB_ERR_BAD_TRACE',
    message: `trace "${join(dir, 'missing.txt')}" is neither a file, a folder nor a generator (constant:, step:, walk:, markov:)`,
  })
  const jsonUsage = await oclab(['sim', '--json', '--frobnicate'])
  t.equal(jsonUsage.code, 2)
  t.match(JSON.parse(jsonUsage.out), { type: 'error', code: 'OCLAB_ERR_USAGE', message: /Unknown option '--frobnicate'/ })
  const wrapped = await oclab(['sim', '--title', join(dir, 'nope.m3u8'), '--trace', 'constant:kbps=1', '--json'])
  t.match(JSON.parse(wrapped.out), { code: 'OCLAB_ERR_BAD_MANIFEST', cause: [/ENOENT/] }, 'a wrapped error says its cause')
  t.notMatch((await oclab(['sim', ...title, '--trace', 'x'])).out, /"type":"error"/, 'no event without --json')
})

t.test('oclab sim --max-input bounds each input file (issue 15)', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'oclab-sim-cli-limit-'))
  await writeFile(join(dir, 'v.m3u8'), media)
  await writeFile(join(dir, 'm.m3u8'), master([500]).replace('v500', 'v'))
  await writeFile(join(dir, 'long.txt'), Array.from({ length: 400 }, (_, i) => `${i}\t5`).join('\n'))
  const run = (...extra: string[]) => oclab(['sim', '--title', join(dir, 'm.m3u8'), '--trace', join(dir, 'long.txt'), '--abr', 'bba', ...extra])
  t.equal((await run()).code, 0, 'a 2.5 kB trace is far under the 64 MiB default')
  const small = await run('--max-input', '0.001')
  t.equal(small.code, 1)
  t.match(
    small.err,
    /^oclab sim: OCLAB_ERR_INPUT_TOO_LARGE: .*long\.txt \(\d+ bytes\) is larger than the input limit of 1048 bytes \(raise it with --max-input <MiB>\)/,
  )
  t.match((await run('--max-input', '0')).err, /OCLAB_ERR_USAGE: --max-input must be at least 0\.001/)
  t.match((await oclab(['sim', '--help'])).out, /--max-input <MiB>\s+refuse .* \(default: 64\)/)
})
