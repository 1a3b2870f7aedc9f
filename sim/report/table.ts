import type { SweepCell, SweepResult } from '../engine/sweep.js'

/** Fixed-width text table: first column left-aligned, the rest right-aligned. */
export function textTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n')
}

const mbps = (bps: number) => (bps / 1e6).toFixed(2)

function cellRow(c: SweepCell): string[] {
  const s = c.summary
  return [
    c.algorithm,
    s.qoePerSegment.mean.toFixed(3),
    s.qoePerSegment.p5.toFixed(3),
    s.qoePerSegment.p50.toFixed(3),
    s.qoePerSegment.p95.toFixed(3),
    mbps(s.averageBitrate.mean),
    Number.isNaN(s.averageQuality.mean) ? '-' : s.averageQuality.mean.toFixed(1),
    s.rebufferTime.mean.toFixed(2),
    s.rebufferCount.mean.toFixed(1),
    s.startupDelay.mean.toFixed(2),
    s.switches.mean.toFixed(1),
    (s.wasteRatio.mean * 100).toFixed(1),
    c.rungShare.map((x) => Math.round(x * 100).toString()).join('/'),
  ]
}

const HEADER = ['algorithm', 'QoE mean', 'p5', 'p50', 'p95', 'Mbit/s', 'quality', 'rebuf s', 'stalls', 'startup s', 'switches', 'waste %', '% time per rung']

/** The terminal report: per ladder × trace set, a row per algorithm, then the ladder verdict. */
export function formatSweepTable(result: SweepResult): string {
  const out: string[] = []
  for (const l of result.ladders) {
    out.push(
      `Ladder ${l.name} (${l.source}${l.codec ? `, ${l.codec}` : ''}${l.sizesExact ? '' : ', sizes estimated'}): ${l.rungs.map((r) => `${r.id} ${Math.round(r.bitrate / 1000)}k`).join(', ')}`,
    )
    if (l.companions) out.push(`  with ${l.companions.join(' and ')} on the same link`)
    for (const n of l.notes) out.push(`  note: ${n}`)
    for (const set of result.traceSets) {
      out.push('', `  ${set.name}: ${set.traces} traces, mean ${mbps(set.meanThroughput)} Mbit/s (QoE per segment; means over sessions)`)
      const rows = result.cells.filter((c) => c.ladder === l.name && c.traceSet === set.name).map(cellRow)
      out.push(textTable(HEADER, rows).replace(/^/gm, '  '))
      const v = result.verdicts.find((x) => x.ladder === l.name && x.traceSet === set.name)
      if (v) {
        out.push(
          `  verdict${v.codec ? ` (${v.codec} ladder)` : ''}: lowest rung ${v.lowestRung.sustains ? 'sustains' : 'does NOT sustain'} playback on the worst traces; top rung reached in ${(v.topRung.sessionsReaching * 100).toFixed(0)}% of sessions`,
        )
        for (const s of v.suggestions) out.push(`    - ${s}`)
      }
    }
    out.push('')
  }
  return out.join('\n')
}

/** Two ladders side by side on the same traces and algorithms: B's value and the change from A. */
export function formatComparison(result: SweepResult): string {
  const [a, b] = result.ladders
  if (!a || !b) return formatSweepTable(result)
  const named = (l: typeof a) => `${l.name}${l.codec ? ` (${l.codec})` : ''}`
  const out: string[] = [`A = ${named(a)}`, `B = ${named(b)}`]
  const metrics: Array<[string, (c: SweepCell) => number, number]> = [
    ['QoE', (c) => c.summary.qoePerSegment.mean, 3],
    ['QoE p5', (c) => c.summary.qoePerSegment.p5, 3],
    ['Mbit/s', (c) => c.summary.averageBitrate.mean / 1e6, 2],
    ['rebuf s', (c) => c.summary.rebufferTime.mean, 2],
    ['switches', (c) => c.summary.switches.mean, 1],
  ]
  for (const set of result.traceSets) {
    out.push('', `${set.name}: ${set.traces} traces`)
    const rows = result.algorithms.map((alg) => {
      const ca = result.cells.find((c) => c.ladder === a.name && c.traceSet === set.name && c.algorithm === alg)!
      const cb = result.cells.find((c) => c.ladder === b.name && c.traceSet === set.name && c.algorithm === alg)!
      return [alg, ...metrics.flatMap(([, f, d]) => [f(ca).toFixed(d), f(cb).toFixed(d), `${f(cb) - f(ca) >= 0 ? '+' : ''}${(f(cb) - f(ca)).toFixed(d)}`])]
    })
    out.push(textTable(['algorithm', ...metrics.flatMap(([n]) => [`${n} A`, `${n} B`, 'Δ'])], rows))
    for (const l of [a, b]) {
      const v = result.verdicts.find((x) => x.ladder === l.name && x.traceSet === set.name)
      if (v) out.push(`${l === a ? 'A' : 'B'}: ${v.suggestions.join('; ')}`)
    }
  }
  return out.join('\n')
}
