import { resolve } from 'node:path'
import type { Command, OptionValues } from './command.js'
import { numberOption, stringOption, usageError } from './command.js'
import { writeFileAtomic } from '../lib/atomic-file.js'
import { maxInputBytes, maxInputSpec } from './input-limit.js'
import { ABR_NAMES, buildHtmlReport, formatComparison, formatSweepTable, loadLadder, loadTraceSet, QOE_DEFAULTS, runSweep, type SessionOptions, type SweepInput } from '../sim/index.js'

function sessionOptions(values: OptionValues): Partial<SessionOptions> {
  const o: Partial<SessionOptions> = {
    qoe: {
      rebuffer: numberOption(values, 'qoe-rebuffer', { min: 0 }) ?? QOE_DEFAULTS.rebuffer,
      switch: numberOption(values, 'qoe-switch', { min: 0 }) ?? QOE_DEFAULTS.switch,
      startup: numberOption(values, 'qoe-startup', { min: 0 }) ?? QOE_DEFAULTS.startup,
    },
    abandonment: values.abandon === true,
  }
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

export const command: Command = {
  name: 'sim',
  summary: 'Replay network traces against a ladder in virtual time with ABR algorithms; QoE metrics, ladder verdicts, plots.',
  usage: '--title <title.json|master.m3u8|manifest.mpd|URL> --trace <file|dir|generator> [--abr a,b] [options]\n       oclab sim --compare <ladderA> <ladderB> --trace <…> [options]',
  positionals: { min: 0, max: 2 },
  options: {
    title: { type: 'string', arg: '<path|URL>', help: 'the ladder: title.json (or its folder), an HLS multivariant playlist or a DASH MPD' },
    compare: { type: 'boolean', help: 'compare two ladders (the two arguments) side by side on the same traces and algorithms' },
    trace: { type: 'string', multiple: true, arg: '<spec>', help: 'a trace set: a file, a folder of traces, or a generator (constant:kbps=3000, step:kbps=5000/800,period=20, walk:kbps=3000,count=20, markov:on=6000,off=300,count=20); repeatable' },
    abr: { type: 'string', arg: '<a,b,…>', default: ABR_NAMES.join(','), help: 'ABR algorithms' },
    seed: { type: 'string', arg: '<n>', default: '1', help: 'seed of the trace generators' },
    buffer: { type: 'string', arg: '<s>', default: '30', help: 'buffer cap in seconds' },
    startup: { type: 'string', arg: '<s>', help: 'buffer needed to start playback (default: one segment)' },
    'rebuffer-threshold': { type: 'string', arg: '<s>', help: 'buffer needed to resume after a stall (default: one segment)' },
    rtt: { type: 'string', arg: '<ms>', default: '80', help: 'request latency when the trace has none' },
    abandon: { type: 'boolean', help: 'abandon downloads that would cause a stall (as hls.js and dash.js do)' },
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
    'max-input': maxInputSpec,
  },
  async run(values, positionals) {
    const title = stringOption(values, 'title')
    const compare = values.compare === true
    const sources = [...(title ? [title] : []), ...positionals]
    if (compare && sources.length !== 2) throw usageError('--compare needs two ladders: oclab sim --compare <ladderA> <ladderB> (or --title <A> --compare <B>)')
    if (!compare && sources.length !== 1) throw usageError('give one ladder with --title (or two with --compare)')
    const traceSpecs = (values.trace as string[] | undefined) ?? []
    if (traceSpecs.length === 0) throw usageError('--trace is required (a file, a folder or a generator such as constant:kbps=3000)')
    const algorithms = (stringOption(values, 'abr') ?? ABR_NAMES.join(',')).split(',').map((s) => s.trim()).filter(Boolean)
    const unknown = algorithms.filter((a) => !ABR_NAMES.includes(a))
    if (unknown.length || algorithms.length === 0) throw usageError(`--abr: unknown algorithm(s) ${unknown.join(', ')} (one of ${ABR_NAMES.join(', ')})`)
    const seed = numberOption(values, 'seed', { integer: true, min: 0 }) ?? 1
    const session = sessionOptions(values)
    if (values.http === true) return runHttp(values, sources[0]!, traceSpecs, algorithms, seed, session)

    const ladders = await Promise.all(sources.map((s) => loadLadder(s, { maxInputBytes: maxInputBytes(values) })))
    const traceSets = await Promise.all(traceSpecs.map((s) => loadTraceSet(s, { seed, maxInputBytes: maxInputBytes(values) })))
    const input: SweepInput = { ladders, traceSets, algorithms, session }
    const result = runSweep(input)

    const html = stringOption(values, 'html')
    if (html) {
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

async function runHttp(values: OptionValues, titleId: string, traceSpecs: string[], algorithms: string[], seed: number, session: Partial<SessionOptions>): Promise<number> {
  const steeringUrl = stringOption(values, 'steering')
  if (!steeringUrl) throw usageError('--http needs --steering <url>')
  const { runHttpSweep, formatHttpSessions } = await import('../sim/http/sweep.js')
  const traces = (await Promise.all(traceSpecs.map((s) => loadTraceSet(s, { seed, maxInputBytes: maxInputBytes(values) })))).flatMap((t) => t.traces)
  const rows = await runHttpSweep({ steeringUrl, titleId, traces, algorithms, timeScale: numberOption(values, 'time-scale', { min: 0.01, max: 1000 }) ?? 1, localAddress: stringOption(values, 'bind'), session })
  if (values.json === true) console.log(JSON.stringify(rows.map(({ timeline: _t, ...r }) => r), null, 2))
  else console.log(`client site ${rows[0]?.site ?? '?'}, candidates ${rows[0]?.candidates.join(' > ') ?? '-'}\n${formatHttpSessions(rows)}`)
  return rows.every((r) => r.completed) ? 0 : 1
}
