import { resolve } from 'node:path'
import type { LoadProgress } from '../sim/loadtest/index.js'
import type { Command } from './command.js'
import { listOption, numberOption, requiredString, stringOption, usageError } from './command.js'
import { playerChoice, playerChoiceSpecs } from './player-choice.js'

export const command: Command = {
  name: 'load',
  summary: 'Drive many HTTP-mode players at a running cluster (open or closed model), inject faults, report latency, offload and QoE.',
  usage: '--config <cluster.json> [--rate N | --concurrency N] --duration S [options]',
  options: {
    config: { type: 'string', arg: '<file>', help: 'the cluster file (a running `oclab cluster` records its PIDs beside it, for faults)' },
    titles: { type: 'string', arg: '<a,b,…>', help: "title ids, most popular first (default: the origin's catalog)" },
    zipf: { type: 'string', arg: '<s>', default: '1', help: 'Zipf exponent of title popularity' },
    rate: { type: 'string', arg: '<n/s>', help: 'open model: sessions arriving per second (default 2)' },
    concurrency: { type: 'string', arg: '<n>', help: 'closed model: this many players, each starting a new session when one ends' },
    ramp: { type: 'string', arg: '<s>', default: '0', help: 'closed model: seconds to bring all players up' },
    duration: { type: 'string', arg: '<s>', default: '30', help: 'seconds during which sessions start' },
    'session-seconds': { type: 'string', arg: '<s>', help: 'content seconds per session (default: the whole title)' },
    'time-scale': { type: 'string', arg: '<x>', default: '1', help: 'session seconds per wall second' },
    trace: { type: 'string', multiple: true, arg: '<spec>', help: 'client networks (file, folder or generator); default constant:kbps=4000' },
    abr: { type: 'string', arg: '<a,b,…>', default: 'throughput,bba,bola', help: 'ABR algorithms, spread over sessions' },
    fault: { type: 'string', multiple: true, arg: '<spec>', help: 'kill:<oca>@<s>, drain:<oca>@<s>, slow:<oca>=<ms>@<s>, origin-down@<s>+<s>; repeatable' },
    seed: { type: 'string', arg: '<n>', default: '1', help: 'seed of title, trace and generator choices' },
    json: { type: 'boolean', help: 'the report as JSON' },
    html: { type: 'string', arg: '<file>', help: 'also write a self-contained HTML report (charts over time, tables)' },
    console: { type: 'string', arg: '<url>', help: "POST each second's sample, then the report, to <url>/api/load (best effort)" },
    ...playerChoiceSpecs,
  },
  async run(values) {
    // Loaded here, not at the top: the load harness, the simulator and undici cost ~0.4 CPU-s that `--help` need not pay.
    const [{ OriginClient }, { readCluster }, { readClusterState }, { loadTraceSet, ABR_NAMES }, lt, { writeFileAtomic }] = await Promise.all([
      import('../origin/index.js'),
      import('../lib/cluster.js'),
      import('../lib/cluster-control.js'),
      import('../sim/index.js'),
      import('../sim/loadtest/index.js'),
      import('../lib/atomic-file.js'),
    ])
    const { parseFault, runLoad, formatLoadReport, progressLine, loadHtml, consolePoster } = lt
    const config = resolve(requiredString(values, 'config'))
    const cluster = await readCluster(config)
    const rate = numberOption(values, 'rate', { min: 0.01 })
    const concurrency = numberOption(values, 'concurrency', { min: 1, integer: true })
    if (rate !== undefined && concurrency !== undefined) throw usageError('give --rate (open model) or --concurrency (closed model), not both')
    const faults = listOption(values, 'fault').map(parseFault)
    const choice = await playerChoice(values)
    const state = await readClusterState(config)
    if (faults.some((f) => f.kind !== 'slow') && !state)
      throw usageError(`faults that kill, drain or stop need the PIDs of a cluster started with \`oclab cluster --config ${config}\``)
    const unknown = faults.filter((f) => f.target !== 'origin' && !cluster.ocas.some((o) => o.id === f.target))
    if (unknown.length) throw usageError(`--fault: unknown OCA ${unknown.map((f) => f.target).join(', ')}`)
    let titles = stringOption(values, 'titles')
      ?.split(',')
      .map((s) => s.trim())
      .filter(Boolean)
    if (!titles?.length) {
      const catalog = await new OriginClient(cluster.origin.url).catalog().catch((err: Error) => {
        throw usageError(`no titles: cannot read the origin catalog (${err.message}); give --titles`)
      })
      titles = catalog.titles.map((t) => t.id)
      if (!titles.length) throw usageError('no titles: the origin catalog is empty; give --titles')
    }
    const algorithms = (stringOption(values, 'abr') ?? 'throughput,bba,bola').split(',').map((s) => s.trim())
    const bad = algorithms.filter((a) => !ABR_NAMES.includes(a))
    if (bad.length) throw usageError(`--abr: unknown ${bad.join(', ')}`)
    const seed = numberOption(values, 'seed', { integer: true, min: 0 }) ?? 1
    const traceSpecs = (values.trace as string[] | undefined) ?? ['constant:kbps=4000']
    const traces = (await Promise.all(traceSpecs.map((s) => loadTraceSet(s, { seed })))).flatMap((t) => t.traces)
    const json = values.json === true
    const html = stringOption(values, 'html')
    const consoleUrl = stringOption(values, 'console')
    if (consoleUrl !== undefined && !/^https?:\/\/[^/]/.test(consoleUrl)) throw usageError(`--console: not an http(s) URL: ${consoleUrl}`)
    const poster = consoleUrl ? consolePoster(consoleUrl) : null
    const printProgress = (p: LoadProgress) =>
      process.stderr.write(`${process.stderr.isTTY ? '\r\x1b[2K' : ''}${progressLine(p)}${process.stderr.isTTY ? '' : '\n'}`)
    const report = await runLoad({
      cluster,
      // the cluster rewrites its state file on every restart: read the PID when a fault fires
      pidOf: async (name) => (await readClusterState(config))?.children.find((c) => c.name === name)?.pid,
      titles,
      zipf: numberOption(values, 'zipf', { min: 0 }),
      traces,
      algorithms,
      mode: concurrency !== undefined ? 'closed' : 'open',
      rate: rate ?? 2,
      concurrency,
      rampSeconds: numberOption(values, 'ramp', { min: 0 }),
      durationSeconds: numberOption(values, 'duration', { min: 0.1 }) ?? 30,
      timeScale: numberOption(values, 'time-scale', { min: 0.01, max: 1000 }) ?? 1,
      sessionSeconds: numberOption(values, 'session-seconds', { min: 0.1 }),
      faults,
      choice,
      seed,
      onProgress: (p) => {
        if (poster) {
          const { elapsed: _, ...sample } = p
          poster.sample(sample)
        }
        if (!json) printProgress(p)
      },
    })
    if (!json && process.stderr.isTTY) process.stderr.write('\n')
    await poster?.done(report)
    console.log(json ? JSON.stringify(report, null, 2) : formatLoadReport(report))
    if (html) {
      const file = resolve(html)
      await writeFileAtomic(file, loadHtml(report, `oclab load: ${cluster.name ?? config}`))
      console.error(`html report: ${file}`)
    }
    return report.sessions.lost ? 1 : 0
  },
}
