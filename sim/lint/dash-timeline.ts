/**
 * SegmentTimeline arithmetic (ISO/IEC 23009-1 §5.3.9.6): expand <S t d r>
 * runs into segments and find where one does not start exactly where the
 * previous ended. Pure, on integer ticks of @timescale.
 */
export interface TimelineEntry {
  t?: number
  d?: number
  r?: number
}

export interface TimelineSegment {
  t: number
  d: number
  /** which <S> (0-based) it came from */
  entry: number
}

export interface TimelineProblem {
  entry: number
  code: 'DASH_TIMELINE_GAP' | 'DASH_TIMELINE_OVERLAP' | 'DASH_TIMELINE_BAD_ENTRY'
  message: string
}

/** Expand a timeline; `endTicks` (the Period end) bounds a negative @r, which repeats until then. */
export function expandTimeline(
  entries: TimelineEntry[],
  endTicks: number | null,
  startTicks = 0,
): { segments: TimelineSegment[]; problems: TimelineProblem[] } {
  const segments: TimelineSegment[] = []
  const problems: TimelineProblem[] = []
  let next = startTicks
  entries.forEach((s, i) => {
    if (!(s.d !== undefined && Number.isInteger(s.d) && s.d > 0)) {
      problems.push({ entry: i, code: 'DASH_TIMELINE_BAD_ENTRY', message: '<S> needs @d, a positive integer number of @timescale ticks' })
      return
    }
    if (s.t !== undefined && i > 0) {
      if (s.t > next)
        problems.push({
          entry: i,
          code: 'DASH_TIMELINE_GAP',
          message: `@t=${s.t} starts ${s.t - next} ticks after the previous segment ends (${next}): a gap in the timeline`,
        })
      if (s.t < next)
        problems.push({
          entry: i,
          code: 'DASH_TIMELINE_OVERLAP',
          message: `@t=${s.t} starts ${next - s.t} ticks before the previous segment ends (${next}): segments overlap`,
        })
    }
    let t = s.t ?? next
    let r = s.r ?? 0
    if (r < 0) {
      const until = entries[i + 1]?.t ?? endTicks
      if (until === null || until === undefined) {
        problems.push({
          entry: i,
          code: 'DASH_TIMELINE_BAD_ENTRY',
          message: '@r is negative (repeat to the end) but neither a following <S @t> nor a Period end bounds it',
        })
        r = 0
      } else r = Math.max(0, Math.ceil((until - t) / s.d) - 1)
    }
    for (let k = 0; k <= r; k++, t += s.d) segments.push({ t, d: s.d, entry: i })
    next = t
  })
  return { segments, problems }
}

/** $Identifier$ substitution in a SegmentTemplate (§5.3.9.4.4); returns the problem for an unknown identifier. */
export function templateProblem(template: string): string | undefined {
  const re = /\$([^$]*)\$/g
  for (let m = re.exec(template); m; m = re.exec(template)) {
    const id = m[1]!
    if (id === '') continue
    if (!/^(RepresentationID|Number|Bandwidth|Time|SubNumber)(%0\d+[dxX])?$/.test(id))
      return `$${id}$ is not a template identifier ($RepresentationID$, $Number$, $Bandwidth$, $Time$, $SubNumber$, with an optional %0Nd)`
    if (id.startsWith('RepresentationID%')) return '$RepresentationID$ takes no format tag'
  }
  return undefined
}

export function fillTemplate(template: string, v: { RepresentationID: string; Number?: number; Bandwidth?: number; Time?: number }): string {
  return template.replace(/\$([^$]*)\$/g, (_, id: string) => {
    if (id === '') return '$'
    const [name, fmt] = id.split('%') as [keyof typeof v, string | undefined]
    const value = v[name]
    if (value === undefined) return `$${id}$`
    if (!fmt || typeof value === 'string') return String(value)
    const width = Number(fmt.slice(1, -1))
    const base = fmt.endsWith('d') ? 10 : 16
    const s = value.toString(base)
    return (fmt.endsWith('X') ? s.toUpperCase() : s).padStart(width, '0')
  })
}
