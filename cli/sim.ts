import { resolve } from 'node:path'
import type { AbrParams, PlayerChoice, SessionOptions, TraceSetOptions } from '../sim/index.js'
// Only the option tables load before `run`: the simulator, loaders and report load when a command runs (CLI start-up).
import { DEFAULT_PROFILE, defaultText, PARAM_SPECS, PROFILES, type ProfileName, parseSetting, QOE_DEFAULTS } from '../sim/index.js'
import type { Command, OptionValues } from './command.js'
import { choiceOption, listOption, numberOption, stringOption, usageError } from './command.js'
import { maxInputBytes, maxInputSpec } from './input-limit.js'
import { playerChoice, playerChoiceSpecs } from './player-choice.js'

const ABR_NAMES = Object.keys(PARAM_SPECS)
/** Sabre's default buffer (-b 25), hls.js maxBufferLength 30, dash.js bufferTimeAtTopQuality 30. */
const PROFILE_BUFFER: Record<ProfileName, number> = { sabre: 25, dashjs: 30, hlsjs: 30 }
/** Sabre's NetworkModel checks progress every 50 ms; hls.js's abandonment timer runs every 100 ms; dash.js on progress events (~50 ms). */
const PROFILE_CHECK: Record<ProfileName, number> = { sabre: 0.05, dashjs: 0.05, hlsjs: 0.1 }

/** --set alg.name=value, repeatable: parameters over the profile's defaults, per algorithm. */
function abrSettings(values: OptionValues): Record<string, AbrParams> {
  const out: Record<string, AbrParams> = {}
  for (const raw of listOption(values, 'set')) {
    for (const one of raw.split(',').filter((x) => x.trim() !== '')) {
      const { algorithm, name, value } = parseSetting(one)
      const specs = PARAM_SPECS[algorithm]
      if (!specs) throw usageError(`--set: unknown algorithm "${algorithm}" (one of ${ABR_NAMES.join(', ')})`)
      const spec = specs.find((s) => s.name === name)
      if (!spec) throw usageError(`--set: ${algorithm} has no parameter "${name}" (oclab sim params ${algorithm} lists them)`)
      if (spec.choices && !spec.choices.includes(value))
        throw usageError(`--set ${algorithm}.${name} must be one of ${spec.choices.join(', ')}, got "${value}"`)
      if (!spec.choices && (value.trim() === '' || !Number.isFinite(Number(value))))
        throw usageError(`--set ${algorithm}.${name} must be a number, got "${value}"`)
      out[algorithm] ??= {}
      out[algorithm][name] = spec.choices ? value : Number(value)
    }
  }
  return out
}

/** A progress line on stderr (stdout, and so --json, is untouched), for sweeps long enough to wait on. */
function progressLine(): { update: (done: number, total: number) => void; end: () => void } {
  const start = process.hrtime.bigint()
  let last = 0
  let shown = false
  const tty = process.stderr.isTTY === true
  return {
    update(done, total) {
      const now = Number(process.hrtime.bigint() - start) / 1e9
      if (now < 1 || (now - last < (tty ? 0.25 : 10) && done < total)) return
      last = now
      const rate = done / now
      const eta = rate > 0 ? (total - done) / rate : 0
      const line = `sim: ${done}/${total} sessions, ${rate.toFixed(0)}/s, ETA ${eta.toFixed(0)} s`
      process.stderr.write(tty ? `\r${line}\x1b[K` : `${line}\n`)
      shown = true
    },
    end() {
      if (shown && tty) process.stderr.write('\n')
    },
  }
}

function sessionOptions(values: OptionValues): Partial<SessionOptions> {
  const o: Partial<SessionOptions> = {
    qoe: {
      rebuffer: numberOption(values, 'qoe-rebuffer', { min: 0 }) ?? QOE_DEFAULTS.rebuffer,
      switch: numberOption(values, 'qoe-switch', { min: 0 }) ?? QOE_DEFAULTS.switch,
      startup: numberOption(values, 'qoe-startup', { min: 0 }) ?? QOE_DEFAULTS.startup,
    },
    abandonment: values.abandon === true,
  }
  const profile = profileOf(values)
  o.bufferCap = PROFILE_BUFFER[profile]
  o.abandonCheckInterval = PROFILE_CHECK[profile]
  // Sabre's NetworkModel also waits for 12000 bits (min_progress_size) between checks.
  if (profile === 'sabre') o.abandonCheckBytes = 1500
  if (values['sabre-rechoose'] === true) o.afterAbandon = 'rechoose'
  const buffer = numberOption(values, 'buffer', { min: 0.1 })
  if (buffer !== undefined) o.bufferCap = buffer
  const startup = numberOption(values, 'startup', { min: 0 })
  if (startup !== undefined) o.startupThreshold = startup
  const rebuffer = numberOption(values, 'rebuffer-threshold', { min: 0 })
  if (rebuffer !== undefined) o.rebufferThreshold = rebuffer
  const rtt = numberOption(values, 'rtt', { min: 0 })
  if (rtt !== undefined) o.rtt = rtt / 1000
  const duration = numberOption(values, 'duration', { min: 0.001 })
  if (duration !== undefined) o.maxDuration = duration
  return o
}

function profileOf(values: OptionValues): ProfileName {
  return choiceOption(values, 'profile', PROFILES) ?? DEFAULT_PROFILE
}

function traceOptions(values: OptionValues, seed: number): TraceSetOptions {
  const scale = numberOption(values, 'trace-scale', { min: 1e-6, max: 1e6 }) ?? 1
  return {
    seed,
    scale,
    maxInputBytes: maxInputBytes(values),
    skipBad: values['skip-bad-traces'] === true,
    onWarning: (m) => console.error(`oclab sim: warning: ${m}`),
  }
}

/** `oclab sim params [alg…]`: every rule parameter with each profile's default and its source. */
const paramsCommand: Command = {
  name: 'sim params',
  summary: "List every ABR rule parameter (set with --set alg.name=value) with the sabre, dashjs and hlsjs profiles' defaults and their source.",
  usage: '[algorithm…]',
  positionals: { min: 0, max: ABR_NAMES.length },
  options: {},
  async run(_values, positionals) {
    const algs = positionals.length ? positionals : ABR_NAMES
    for (const a of algs) {
      const specs = PARAM_SPECS[a]
      if (!specs) throw usageError(`unknown algorithm "${a}" (one of ${ABR_NAMES.join(', ')})`)
      console.log(`${a}:`)
      for (const s of specs) {
        const d = PROFILES.map((p) => `${p} ${defaultText(s.defaults[p])}`).join(' · ')
        console.log(`  ${a}.${s.name}${s.choices ? ` (${s.choices.join('|')})` : ''}: ${d}\n      ${s.help}`)
      }
    }
  },
}

export const command: Command = {
  name: 'sim',
  summary: 'Replay network traces against a ladder in virtual time with ABR algorithms; QoE metrics, ladder verdicts, plots.',
  usage:
    '--title <title.json|master.m3u8|manifest.mpd|URL> --trace <file|dir|generator> [--abr a,b] [options]\n       oclab sim --compare <ladderA> <ladderB> --trace <…> [options]',
  positionals: { min: 0, max: 2 },
  subcommands: { params: paramsCommand },
  options: {
    title: { type: 'string', arg: '<path|URL>', help: 'the ladder: title.json (or its folder), an HLS multivariant playlist or a DASH MPD' },
    compare: { type: 'boolean', help: 'compare two ladders (the two arguments) side by side on the same traces and algorithms' },
    trace: {
      type: 'string',
      multiple: true,
      arg: '<spec>',
      help: 'a trace set: a file, a folder of traces, or a generator (constant:kbps=3000, step:kbps=5000/800,period=20, walk:kbps=3000,count=20, markov:on=6000,off=300,count=20); repeatable',
    },
    abr: {
      type: 'string',
      arg: '<a,b,…>',
      default: ABR_NAMES.join(','),
      help: 'ABR algorithms (throughput, bola and bolae, dynamic, bba, mpc, robustmpc; see the README for each reference)',
    },
    seed: { type: 'string', arg: '<n>', default: '1', help: 'seed of the trace generators' },
    profile: {
      type: 'string',
      arg: '<sabre|dashjs|hlsjs>',
      default: DEFAULT_PROFILE,
      help: 'whose defaults every rule, estimator and abandonment takes (oclab sim params lists them); also sets the buffer (sabre 25 s, dashjs/hlsjs 30 s) and the abandonment check interval',
    },
    set: {
      type: 'string',
      multiple: true,
      arg: '<alg.name=v,…>',
      help: 'override rule parameters over the profile, e.g. bola.gammaP=4,throughput.variant=hlsjs; repeatable',
    },
    buffer: { type: 'string', arg: '<s>', help: "buffer cap in seconds (default: the profile's)" },
    'trace-scale': {
      type: 'string',
      arg: '<k>',
      default: '1',
      help: "multiply every trace's throughput by k (Sabre -nm), e.g. to put a trace set inside the ladder's range",
    },
    'skip-bad-traces': { type: 'boolean', help: 'leave out unreadable files of a trace folder with a warning (default: fail naming every bad file)' },
    'sabre-rechoose': {
      type: 'boolean',
      help: "after an abandonment ask the rule again instead of fetching the rung it named, as Sabre's main loop does (a Sabre quirk; see the README)",
    },
    startup: { type: 'string', arg: '<s>', help: 'buffer needed to start playback (default: one segment)' },
    'rebuffer-threshold': { type: 'string', arg: '<s>', help: 'buffer needed to resume after a stall (default: one segment)' },
    rtt: { type: 'string', arg: '<ms>', default: '80', help: 'request latency when the trace has none' },
    abandon: {
      type: 'boolean',
      help: "abandon downloads as the profile's references do (each rule's abandon parameter picks hls.js's, dash.js's or Sabre's rule)",
    },
    duration: { type: 'string', arg: '<s>', help: 'play only the first <s> seconds of the title' },
    'qoe-rebuffer': { type: 'string', arg: '<w>', default: String(QOE_DEFAULTS.rebuffer), help: 'QoE weight per second of rebuffering' },
    'qoe-switch': { type: 'string', arg: '<w>', default: String(QOE_DEFAULTS.switch), help: 'QoE weight per Mbit/s of bitrate change' },
    'qoe-startup': { type: 'string', arg: '<w>', default: String(QOE_DEFAULTS.startup), help: 'QoE weight per second of startup delay' },
    http: { type: 'boolean', help: 'HTTP mode: real sessions through --steering to the OCAs; --title is then the title id' },
    steering: { type: 'string', arg: '<url>', help: 'HTTP mode: the steering service' },
    'time-scale': { type: 'string', arg: '<x>', default: '1', help: 'HTTP mode: session seconds per wall second (10 plays 10x faster)' },
    bind: { type: 'string', arg: '<ip>', help: 'HTTP mode: source address, e.g. 127.0.1.20 to be a client of the zone covering it' },
    json: { type: 'boolean', help: 'print the full result as JSON instead of tables' },
    html: { type: 'string', arg: '<report.html>', help: 'also write a self-contained HTML report with plots' },
    ...playerChoiceSpecs,
    'max-input': maxInputSpec,
  },
  async run(values, positionals) {
    const title = stringOption(values, 'title')
    const compare = values.compare === true
    const sources = [...(title ? [title] : []), ...positionals]
    if (compare && sources.length !== 2) throw usageError('--compare needs two ladders: oclab sim --compare <ladderA> <ladderB> (or --title <A> --compare <B>)')
    if (!compare && sources.length !== 1) throw usageError('give one ladder with --title (or two with --compare)')
    const traceSpecs = listOption(values, 'trace')
    if (traceSpecs.length === 0) throw usageError('--trace is required (a file, a folder or a generator such as constant:kbps=3000)')
    const algorithms = (stringOption(values, 'abr') ?? ABR_NAMES.join(','))
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
    const unknown = algorithms.filter((a) => !ABR_NAMES.includes(a))
    if (unknown.length || algorithms.length === 0) throw usageError(`--abr: unknown algorithm(s) ${unknown.join(', ')} (one of ${ABR_NAMES.join(', ')})`)
    const seed = numberOption(values, 'seed', { integer: true, min: 0 }) ?? 1
    const session = sessionOptions(values)
    const abrParams = abrSettings(values)
    const profile = profileOf(values)
    const choice = await playerChoice(values)
    if (values.http === true) return runHttp(values, sources[0]!, traceSpecs, algorithms, seed, session, profile, abrParams, choice)

    // Only what this run needs: the HTML report and the HLS/DASH parsers load when asked for.
    const [{ loadLadder }, { loadTraceSet }, { runSweep }, { formatComparison, formatSweepTable }] = await Promise.all([
      import('../sim/index.js'),
      import('../sim/index.js'),
      import('../sim/index.js'),
      import('../sim/index.js'),
    ])
    const ladders = await Promise.all(sources.map((s) => loadLadder(s, { maxInputBytes: maxInputBytes(values), ...choice })))
    const traceSets = await Promise.all(traceSpecs.map((s) => loadTraceSet(s, traceOptions(values, seed))))
    const input = { ladders, traceSets, algorithms, session, abrParams, profile }
    const progress = progressLine()
    const result = runSweep(input, progress.update)
    progress.end()

    const html = stringOption(values, 'html')
    if (html) {
      const { buildHtmlReport } = await import('../sim/index.js')
      const { writeFileAtomic } = await import('../lib/atomic-file.js')
      await writeFileAtomic(resolve(html), buildHtmlReport(input, result, { title: `oclab sim: ${ladders.map((l) => l.name).join(' vs ')}` }))
    }
    if (values.json === true) {
      const slim = { ...result, cells: result.cells.map((c) => ({ ...c, sessions: c.sessions.map((s) => ({ trace: s.trace, metrics: s.metrics })) })) }
      console.log(JSON.stringify(slim, null, 2))
    } else {
      console.log(compare ? formatComparison(result) : formatSweepTable(result))
      if (html) console.log(`wrote ${resolve(html)}`)
    }
  },
}

async function runHttp(
  values: OptionValues,
  titleId: string,
  traceSpecs: string[],
  algorithms: string[],
  seed: number,
  session: Partial<SessionOptions>,
  profile: ProfileName,
  abrParams: Record<string, AbrParams>,
  choice: PlayerChoice,
): Promise<number> {
  const steeringUrl = stringOption(values, 'steering')
  if (!steeringUrl) throw usageError('--http needs --steering <url>')
  const { runHttpSweep, formatHttpSessions } = await import('../sim/http-player/index.js')
  const { loadTraceSet } = await import('../sim/index.js')
  const traces = (await Promise.all(traceSpecs.map((s) => loadTraceSet(s, traceOptions(values, seed))))).flatMap((t) => t.traces)
  const rows = await runHttpSweep({
    steeringUrl,
    titleId,
    traces,
    algorithms,
    timeScale: numberOption(values, 'time-scale', { min: 0.01, max: 1000 }) ?? 1,
    localAddress: stringOption(values, 'bind'),
    session,
    profile,
    abrParams,
    choice,
  })
  if (values.json === true)
    console.log(
      JSON.stringify(
        rows.map(({ timeline: _t, ...r }) => r),
        null,
        2,
      ),
    )
  else
    console.log(
      `client site ${rows[0]?.site ?? '?'}, candidates ${rows[0]?.candidates.join(' > ') ?? '-'}${rows[0]?.codec ? `, playing ${rows[0].codec}` : ''}\n${formatHttpSessions(rows)}`,
    )
  return rows.every((r) => r.completed) ? 0 : 1
}
