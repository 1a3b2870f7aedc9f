import type { LintReport } from './findings.js'

/** Human-readable report: one line per finding, `file:line [xpath] severity CODE message`, then a summary. */
export function formatReport(r: LintReport): string {
  const lines = r.findings.map((f) => `${f.file}${f.line ? `:${f.line}` : ''}${f.xpath ? ` ${f.xpath}` : ''}  ${f.severity.padEnd(7)} ${f.code}  ${f.message}`)
  const { error, warning, info } = r.counts
  lines.push(`${r.target} (${r.kind.toUpperCase()}${r.deep ? ', deep' : ''}): ${error} error(s), ${warning} warning(s), ${info} info`)
  return lines.join('\n')
}
