import type { Title } from '../../lib/title-package.js'
import { codecComparisons } from '../ladder/compare.js'

/** A terminal table of a package's ladder: what a person checks after an encode. */
export function ladderSummary(title: Title, titleDir: string): string {
  const metric = title.ladder.qualityMetric
  const rows = title.video.map((v) => [
    v.id,
    `${v.width}x${v.height}`,
    `${Math.round(v.targetBitrate / 1000)}k`,
    `${Math.round(v.averageBandwidth / 1000)}k`,
    `${Math.round(v.bandwidth / 1000)}k`,
    v.quality.vmaf !== undefined ? v.quality.vmaf.toFixed(1) : '-',
    v.quality.ssim.toFixed(4),
    v.quality.psnr.toFixed(2),
    String(v.segments.length),
  ])
  const head = ['rendition', 'size', 'asked', 'average', 'peak', 'VMAF', 'SSIM', 'PSNR', 'segs']
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  const fmt = (r: string[]) => r.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')
  const e = title.encode
  return [
    `title ${title.id}: ${title.duration.toFixed(2)} s, ${title.ladder.kind} ladder (${metric === 'vmaf' ? 'VMAF' : 'SSIM'}), ${title.video.length} video + ${title.audio.length} audio${title.text?.length ? ` + ${title.text.length} subtitle` : ''} renditions`,
    `  ${fmt(head)}`,
    ...rows.map((r) => `  ${fmt(r)}`),
    ...codecComparisons(title).map(
      (c) =>
        `  ${c.test.codec} against ${c.anchor.codec}: ${c.metrics.map((m) => `BD-rate ${m.bdRate === null ? 'n/a (no overlap)' : `${m.bdRate >= 0 ? '+' : ''}${m.bdRate.toFixed(1)} %`} (${m.metric.toUpperCase()})`).join(', ')}`,
    ),
    ...(title.audio.length ? [`  audio: ${title.audio.map((a) => `${a.id} (${a.name ?? a.language}, ${a.language})`).join(', ')}`] : []),
    ...(title.text?.length
      ? [`  subtitles: ${title.text.map((x) => `${x.id} (${x.name}, ${x.language}${x.forced ? ', forced' : ''}, ${x.cues} cues)`).join(', ')}`]
      : []),
    `  ${e.jobs} chunk jobs in ${e.chunks} chunks, ${e.retries} retries, ${e.qualityGateReencodes} quality-gate re-encodes, ${e.resumedJobs} resumed`,
    `package: ${titleDir}`,
    `  HLS  ${titleDir}/${title.hls}`,
    `  DASH ${titleDir}/${title.dash}`,
  ].join('\n')
}
