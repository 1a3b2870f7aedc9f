/**
 * Differential test against Sabre (the BOLA authors' reference ABR simulator,
 * ../shared/reference/sabre, run unmodified as a separate python3 process):
 * the same movie, the same traces scaled into the ladder's range, the same
 * 25 s buffer; bola, bolae, dynamic and throughput with and without
 * abandonment. Per algorithm, over the traces: mean bitrate within ±5%, mean
 * rebuffer within ±10% or 0.3 s, and the algorithms in the same order by
 * bitrate. oclab runs `--profile sabre` plus Sabre's two engine habits that
 * are not ABR rules: its abandonment check schedule (every 50 ms and 12000
 * bits) and its re-decision after an abandonment (a Sabre quirk, README).
 */

import { execFile } from 'node:child_process'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import t from 'tap'
import { mapLimit } from '../../lib/map-limit.js'
import { seededRandom } from '../../lib/random.js'
import { createAbr } from '../../sim/abr/registry.js'
import { runSession, type SessionOptions } from '../../sim/engine/engine.js'
import { type Ladder, syntheticLadder } from '../../sim/manifest/ladder.js'
import { loadLadder } from '../../sim/manifest/read-ladder.js'
import { type SabreMovie, sabreMovieFromLadder } from '../../sim/manifest/read-sabre-movie.js'
import { readTraceFile, scaleTrace } from '../../sim/trace/read.js'

const run = promisify(execFile)
const SABRE = fileURLToPath(new URL('../../../shared/reference/sabre/sabre.py', import.meta.url))
const TRACES = fileURLToPath(new URL('../../../shared/traces/norway-3g/', import.meta.url))
const FIXTURE = fileURLToPath(new URL('../fixtures/sim/encode-movie.json', import.meta.url))
const ALGORITHMS = ['bola', 'bolae', 'dynamic', 'throughput']
const BUFFER = 25
const TRACE_COUNT = 4
/** Sessions of 6 minutes: the 60 s encode repeats, as Sabre's -ml does. */
const SEGMENTS = 120

/** The few tap assertions compare() uses. */
interface Checks {
  ok(value: unknown, message: string): void
  comment(message: string): void
}

interface Figures {
  bitrate: number
  rebuffer: number
}

/** The movie repeated to `segments` segments (Sabre -ml: the size list repeated, then cut). */
function tiled(movie: SabreMovie, segments: number): SabreMovie {
  const sizes = Array.from({ length: segments }, (_, i) => movie.segment_sizes_bits[i % movie.segment_sizes_bits.length]!)
  return { ...movie, segment_sizes_bits: sizes }
}

async function sabre(movieFile: string, trace: string, alg: string, k: number, abandon: boolean, segments: number): Promise<Figures> {
  const { stdout } = await run(
    'python3',
    [SABRE, '-m', movieFile, '-n', trace, '-a', alg, '-b', String(BUFFER), '-nm', String(k), ...(abandon ? [] : ['-noa'])],
    { maxBuffer: 1 << 24 },
  )
  const get = (name: string): number => {
    const m = new RegExp(`^${name}: (.*)$`, 'm').exec(stdout)
    if (!m) throw new Error(`Sabre printed no "${name}":\n${stdout}`)
    return Number(m[1])
  }
  // Sabre's "time average played bitrate" divides by play time including stalls; per segment is the played mean.
  return { bitrate: (get('total played bitrate') * 1000) / segments, rebuffer: get('total rebuffer') }
}

async function compare(t: Checks, name: string, ladder: Ladder, movieFile: string): Promise<void> {
  const files = (await readdir(TRACES))
    .filter((f) => f.endsWith('.json'))
    .sort()
    .slice(0, TRACE_COUNT)
  // Scale each trace so its mean sits at the ladder's geometric middle: contested, not above the top rung.
  const middle = Math.sqrt(ladder.bitrates[0]! * ladder.bitrates[ladder.bitrates.length - 1]!)
  const traces = await Promise.all(
    files.map(async (f) => {
      const raw = await readTraceFile(join(TRACES, f))
      const k = Number((middle / raw.meanThroughput).toFixed(3))
      return { file: join(TRACES, f), k, trace: scaleTrace(raw, k) }
    }),
  )
  for (const abandon of [false, true]) {
    const session: Partial<SessionOptions> = {
      bufferCap: BUFFER,
      abandonment: abandon,
      abandonCheckInterval: 0.05,
      abandonCheckBytes: 1500,
      afterAbandon: 'rechoose',
    }
    const jobs = ALGORITHMS.flatMap((a) => traces.map((tr) => () => sabre(movieFile, tr.file, a, tr.k, abandon, ladder.segmentDurations.length)))
    const ref = await mapLimit(jobs, 2, (job) => job())
    const rows = ALGORITHMS.map((a, ai) => {
      const s = ref.slice(ai * traces.length, (ai + 1) * traces.length)
      const o = traces.map((tr) => runSession(ladder, tr.trace, createAbr(a, ladder, {}, { profile: 'sabre', bufferCap: BUFFER }), session).metrics)
      const mean = (xs: number[]) => xs.reduce((x, y) => x + y, 0) / xs.length
      return {
        a,
        sabre: { bitrate: mean(s.map((x) => x.bitrate)), rebuffer: mean(s.map((x) => x.rebuffer)) },
        oclab: { bitrate: mean(o.map((m) => m.averageBitrate)), rebuffer: mean(o.map((m) => m.rebufferTime)) },
      }
    })
    const label = `${name}, abandonment ${abandon ? 'on' : 'off'}`
    t.comment(
      `${label}: ${rows.map((r) => `${r.a} ${(r.oclab.bitrate / 1e3).toFixed(0)}/${(r.sabre.bitrate / 1e3).toFixed(0)} kbps, ${r.oclab.rebuffer.toFixed(2)}/${r.sabre.rebuffer.toFixed(2)} s`).join('; ')} (oclab/Sabre)`,
    )
    for (const r of rows) {
      t.ok(
        r.sabre.bitrate > ladder.bitrates[0]! && r.sabre.bitrate < ladder.bitrates[ladder.bitrates.length - 1]!,
        `${label}: ${r.a} is contested (Sabre's mean ${(r.sabre.bitrate / 1e3).toFixed(0)} kbps lies inside the ladder)`,
      )
      const dev = r.oclab.bitrate / r.sabre.bitrate - 1
      t.ok(
        Math.abs(dev) <= 0.05,
        `${label}: ${r.a} mean bitrate ${(r.oclab.bitrate / 1e3).toFixed(0)} vs Sabre ${(r.sabre.bitrate / 1e3).toFixed(0)} kbps (${(dev * 100).toFixed(1)}%)`,
      )
      const tol = Math.max(0.3, 0.1 * r.sabre.rebuffer)
      t.ok(
        Math.abs(r.oclab.rebuffer - r.sabre.rebuffer) <= tol,
        `${label}: ${r.a} mean rebuffer ${r.oclab.rebuffer.toFixed(2)} vs Sabre ${r.sabre.rebuffer.toFixed(2)} s`,
      )
    }
    // Same ordering by bitrate, for every pair Sabre itself separates by more than 1% (closer pairs are ties).
    for (const x of rows) {
      for (const y of rows) {
        if (x.sabre.bitrate > y.sabre.bitrate * 1.01) t.ok(x.oclab.bitrate > y.oclab.bitrate, `${label}: ${x.a} above ${y.a} in both`)
      }
    }
  }
}

// 64 python runs: allow for a busy CI machine beyond tap's default per-file timeout.
t.setTimeout(900_000)

t.test('oclab --profile sabre matches Sabre on contested traces', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'oclab-sabre-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))

  // 1. A real encode's segment sizes (7 rungs, 150k–2.5M, 3 s segments; test/fixtures/sim/encode-movie.json).
  const encodeFile = join(dir, 'encode.json')
  await writeFile(encodeFile, JSON.stringify(tiled(JSON.parse(await readFile(FIXTURE, 'utf8')) as SabreMovie, SEGMENTS)))
  const encode = await loadLadder(encodeFile) // through the Sabre movie loader, as `oclab sim --title movie.json` reads it
  t.equal(encode.rungs.length, 7)
  t.equal(encode.source, 'sabre')
  await compare(t, 'encode', encode, encodeFile)

  // 2. A synthetic VBR model: 6 rungs, each segment's complexity ±30% around the rung's bitrate.
  const vbr = syntheticLadder({
    bitrates: [300e3, 750e3, 1200e3, 1850e3, 2850e3, 4300e3],
    segmentDuration: 3,
    segments: SEGMENTS,
    variation: 0.3,
    random: seededRandom(7),
  })
  const vbrFile = join(dir, 'vbr.json')
  await writeFile(vbrFile, JSON.stringify(sabreMovieFromLadder(vbr)))
  await compare(t, 'synthetic VBR', await loadLadder(vbrFile), vbrFile)
})
