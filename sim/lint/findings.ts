/**
 * What the linter reports: one finding per problem, with a stable code, a
 * severity, where it is (a playlist line for HLS, an XPath for DASH) and the
 * spec section that makes it a problem.
 */
export type Severity = 'error' | 'warning' | 'info'

export interface Location {
  /** The manifest (path or URL) the finding is about. */
  file: string
  /** 1-based line (HLS lines; DASH elements too, where the parser knows them). */
  line?: number
  /** DASH: the element or attribute, e.g. /MPD/Period[1]/AdaptationSet[1]/Representation[2]/@bandwidth */
  xpath?: string
}

export interface Finding extends Location {
  severity: Severity
  code: string
  /** One line: what is wrong, with the numbers, and the spec section. */
  message: string
}

export interface LintReport {
  target: string
  kind: 'hls' | 'dash'
  deep: boolean
  findings: Finding[]
  counts: Record<Severity, number>
}

const ORDER: Record<Severity, number> = { error: 0, warning: 1, info: 2 }

/** Collects findings; one per (code, place) so a check run twice over the same spot says it once. */
export class Findings {
  readonly list: Finding[] = []
  private readonly seen = new Set<string>()

  add(severity: Severity, code: string, where: Location, message: string): void {
    const key = `${code}|${where.file}|${where.line ?? ''}|${where.xpath ?? ''}|${message}`
    if (this.seen.has(key)) return
    this.seen.add(key)
    this.list.push({ severity, code, ...where, message })
  }

  error(code: string, where: Location, message: string): void {
    this.add('error', code, where, message)
  }

  warning(code: string, where: Location, message: string): void {
    this.add('warning', code, where, message)
  }

  info(code: string, where: Location, message: string): void {
    this.add('info', code, where, message)
  }
}

export function makeReport(target: string, kind: 'hls' | 'dash', deep: boolean, findings: Finding[]): LintReport {
  const counts: Record<Severity, number> = { error: 0, warning: 0, info: 0 }
  for (const f of findings) counts[f.severity]++
  // Stable order: by file as first seen, then position, then severity.
  const fileOrder = new Map<string, number>()
  for (const f of findings) if (!fileOrder.has(f.file)) fileOrder.set(f.file, fileOrder.size)
  const sorted = [...findings].sort(
    (a, b) => fileOrder.get(a.file)! - fileOrder.get(b.file)! || (a.line ?? 0) - (b.line ?? 0) || ORDER[a.severity] - ORDER[b.severity],
  )
  return { target, kind, deep, findings: sorted, counts }
}
