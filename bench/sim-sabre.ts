/**
 * `npm run bench -- sim-sabre`: the figures issue 16 asks for beside the
 * differential test (test/sim/sabre-diff.test.ts), on the same movies and the
 * same contested traces: per algorithm (bola, bolae, dynamic, throughput) and
 * per oclab profile, mean played bitrate, rebuffer and switches of oclab and
 * of Sabre (run unmodified as a python3 process), with and without
 * abandonment. Sabre has one behaviour, so its columns repeat across
 * profiles; every oclab run uses Sabre's 25 s buffer so only the rules differ.
 * `--profile sabre` adds Sabre's engine habits, as the test does (checks every
 * 50 ms and 12000 bits, re-decision after an abandonment); the other profiles
 * keep their own check interval and refetch at the rung their rule names.
 * Not a speed benchmark: no timing is reported.
 */
import { execFile } from 'node:child_process'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { mapLimit } from '../lib/map-limit.js'
import { seededRandom } from '../lib/random.js'
import {
  createAbr,
  type Ladder,
  loadLadder,
  type ProfileName,
  readTraceFile,
  runSession,
  type SabreMovie,
  type SessionOptions,
  sabreMovieFromLadder,
  scaleTrace,
  syntheticLadder,
  type Trace,
} from '../sim/index.js'
import { footer, header } from './_rounds.js'

const execFileP = promisify(execFile)
const SABRE = fileURLToPath(new URL('../../shared/reference/sabre/sabre.py', import.meta.url))
const TRACES = fileURLToPath(new URL('../../shared/traces/norway-3g/', import.meta.url))
const FIXTURE = fileURLToPath(new URL('../test/fixtures/sim/encode-movie.json', import.meta.url))
const ALGORITHMS = ['bola', 'bolae', 'dynamic', 'throughput']
const PROFILES: ProfileName[] = ['sabre', 'dashjs', 'hlsjs']
/** As the differential test: Sabre's default buffer, 4 traces, 120 segments. */
const BUFFER = 25
const TRACE_COUNT = 4
const SEGMENTS = 120
/** The profiles' abandonment check intervals (cli/sim.ts PROFILE_CHECK). */
const CHECK: Record<ProfileName, number> = { sabre: 0.05, dashjs: 0.05, hlsjs: 0.1 }

interface Figures {
  bitrate: number
  rebuffer: number
  switches: number
}

function tiled(movie: SabreMovie, segments: number): SabreMovie {
  return { ...movie, segment_sizes_bits: Array.from({ length: segments }, (_, i) => movie.segment_sizes_bits[i % movie.segment_sizes_bits.length]!) }
}

/** One Sabre run; switches counted from its verbose per-download lines (abandoned attempts are not played). */
async function sabre(movieFile: string, trace: string, alg: string, k: number, abandon: boolean, segments: number): Promise<Figures> {
  const { stdout } = await execFileP(
    'python3',
    [SABRE, '-v', '-m', movieFile, '-n', trace, '-a', alg, '-b', String(BUFFER), '-nm', String(k), ...(abandon ? [] : ['-noa'])],
    { maxBuffer: 1 << 26 },
  )
  const get = (name: string): number => {
    const m = new RegExp(`^${name}: (.*)$`, 'm').exec(stdout)
    if (!m) throw new Error(`Sabre printed no "${name}"`)
    return Number(m[1])
  }
  let switches = 0
  let last = -1
  for (const m of stdout.matchAll(/^\[\d+-\d+\]\s+\d+: q=(\d+) .*$/gm)) {
    if (m[0].includes('ABANDONED')) continue
    const q = Number(m[1])
    if (last >= 0 && q !== last) switches++
    last = q
  }
  return { bitrate: (get('total played bitrate') * 1000) / segments, rebuffer: get('total rebuffer'), switches }
}

const mean = (xs: number[]): number => xs.reduce((x, y) => x + y, 0) / xs.length
const meanOf = (fs: Figures[]): Figures => ({
  bitrate: mean(fs.map((f) => f.bitrate)),
  rebuffer: mean(fs.map((f) => f.rebuffer)),
  switches: mean(fs.map((f) => f.switches)),
})

async function table(name: string, ladder: Ladder, movieFile: string): Promise<void> {
  const files = (await readdir(TRACES))
    .filter((f) => f.endsWith('.json'))
    .sort()
    .slice(0, TRACE_COUNT)
  const middle = Math.sqrt(ladder.bitrates[0]! * ladder.bitrates[ladder.bitrates.length - 1]!)
  const traces: Array<{ file: string; k: number; trace: Trace }> = await Promise.all(
    files.map(async (f) => {
      const raw = await readTraceFile(join(TRACES, f))
      const k = Number((middle / raw.meanThroughput).toFixed(3))
      return { file: join(TRACES, f), k, trace: scaleTrace(raw, k) }
    }),
  )
  console.log(`\n${name}: ${ladder.rungs.length} rungs, ${SEGMENTS} segments, traces ${traces.map((t) => `${t.file.split('/').pop()}×${t.k}`).join(', ')}`)
  console.log(
    `${'algorithm'.padEnd(11)}${'abandon'.padEnd(9)}${'profile'.padEnd(8)}${'kbps oclab/Sabre'.padStart(18)}${'Δ%'.padStart(7)}${'rebuffer s oclab/Sabre'.padStart(24)}${'switches oclab/Sabre'.padStart(22)}`,
  )
  for (const abandon of [false, true]) {
    const ref = await mapLimit(
      ALGORITHMS.flatMap((a) => traces.map((tr) => () => sabre(movieFile, tr.file, a, tr.k, abandon, ladder.segmentDurations.length))),
      2,
      (job) => job(),
    )
    ALGORITHMS.forEach((a, ai) => {
      const s = meanOf(ref.slice(ai * traces.length, (ai + 1) * traces.length))
      for (const profile of PROFILES) {
        const session: Partial<SessionOptions> = {
          bufferCap: BUFFER,
          abandonment: abandon,
          abandonCheckInterval: CHECK[profile],
          ...(profile === 'sabre' ? { abandonCheckBytes: 1500, afterAbandon: 'rechoose' as const } : {}),
        }
        const o = meanOf(
          traces.map((tr) => {
            const m = runSession(ladder, tr.trace, createAbr(a, ladder, {}, { profile, bufferCap: BUFFER }), session).metrics
            return { bitrate: m.averageBitrate, rebuffer: m.rebufferTime, switches: m.switches }
          }),
        )
        console.log(
          `${a.padEnd(11)}${(abandon ? 'on' : 'off').padEnd(9)}${profile.padEnd(8)}${`${(o.bitrate / 1e3).toFixed(0)}/${(s.bitrate / 1e3).toFixed(0)}`.padStart(18)}${((o.bitrate / s.bitrate - 1) * 100).toFixed(1).padStart(7)}` +
            `${`${o.rebuffer.toFixed(2)}/${s.rebuffer.toFixed(2)}`.padStart(24)}${`${o.switches.toFixed(1)}/${s.switches.toFixed(1)}`.padStart(22)}`,
        )
      }
    })
  }
}

export async function run(_args: string[]): Promise<void> {
  header('bench sim-sabre (fidelity figures, no timing)')
  const dir = await mkdtemp(join(tmpdir(), 'oclab-sabre-bench-'))
  try {
    const encodeFile = join(dir, 'encode.json')
    await writeFile(encodeFile, JSON.stringify(tiled(JSON.parse(await readFile(FIXTURE, 'utf8')) as SabreMovie, SEGMENTS)))
    await table('encode (real segment sizes)', await loadLadder(encodeFile), encodeFile)
    const vbr = syntheticLadder({
      bitrates: [300e3, 750e3, 1200e3, 1850e3, 2850e3, 4300e3],
      segmentDuration: 3,
      segments: SEGMENTS,
      variation: 0.3,
      random: seededRandom(7),
    })
    const vbrFile = join(dir, 'vbr.json')
    await writeFile(vbrFile, JSON.stringify(sabreMovieFromLadder(vbr)))
    await table('synthetic VBR', await loadLadder(vbrFile), vbrFile)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
  footer()
}
