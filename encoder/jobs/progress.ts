import type { EncodeEvent } from './events.js'

/**
 * Renders encode events for people and machines: a live status line on a
 * terminal, one plain line per milestone otherwise, or NDJSON with --json.
 */
export type ProgressMode = 'tty' | 'plain' | 'json'

const clock = (s: number | null): string => {
  if (s === null || !Number.isFinite(s)) return '--:--'
  const m = Math.floor(s / 60)
  return `${m}:${String(Math.round(s % 60)).padStart(2, '0')}`
}

export function progressRenderer(mode: ProgressMode, write: (s: string) => void = (s) => process.stderr.write(s)): (e: EncodeEvent) => void {
  if (mode === 'json') return (e) => write(`${JSON.stringify(e)}\n`)
  let live = false
  const line = (s: string) => {
    if (live) write('\r\x1b[2K')
    live = false
    write(`${s}\n`)
  }
  const status = (s: string) => {
    if (mode !== 'tty') return
    write(`\r\x1b[2K${s}`)
    live = true
  }
  return (e) => {
    switch (e.type) {
      case 'inspected': {
        const v = e.report.video
        line(
          `source: ${v.codec} ${v.width}x${v.height} @ ${v.frameRate} fps, ${e.report.duration.toFixed(2)} s, ${v.dynamicRange}, ${e.report.audio.length} audio stream(s)`,
        )
        for (const w of e.report.warnings) line(`  warning: ${w}`)
        break
      }
      case 'probing':
        if (mode === 'tty') status(`probing: ${e.done}/${e.total} probe encodes`)
        else if (e.done === e.total) line(`probing: ${e.total} probe encodes done`)
        break
      case 'ladder':
        line(`ladder (${e.kind}): ${e.rungs.map((r) => `${r.width}x${r.height}@${Math.round(r.bitrate / 1000)}k`).join(', ')}`)
        for (const n of e.notes) line(`  ${n}`)
        break
      case 'jobs':
        line(`encoding: ${e.total} chunk jobs`)
        break
      case 'job': {
        const text = `encoding: ${e.done}/${e.total} jobs, ${e.fps.toFixed(0)} fps, ETA ${clock(e.etaSeconds)}`
        if (e.state === 'retry') line(`  retry ${e.key}: ${e.error}`)
        else if (e.state === 'done') {
          if (mode === 'tty') status(text)
          else
            line(
              `  ${e.key} ${e.resumed ? 'resumed (already encoded)' : 'done'}${e.reencodes ? `, ${e.reencodes} quality-gate re-encode(s)` : ''} [${e.done}/${e.total}, ETA ${clock(e.etaSeconds)}]`,
            )
        }
        break
      }
      case 'packaging':
        status(`packaging ${e.rendition}`)
        if (mode === 'plain') line(`packaging ${e.rendition}`)
        break
      case 'note':
        line(`note: ${e.message}`)
        break
      case 'done':
        line(`done in ${e.seconds.toFixed(1)} s: ${e.titleDir}`)
        break
    }
  }
}
