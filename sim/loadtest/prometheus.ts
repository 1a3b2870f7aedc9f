/** Prometheus text exposition → `name{label="v",…}` → value. Enough for the harness to read OCA counters. */
export type Samples = Map<string, number>

export function parsePrometheus(text: string): Samples {
  const out: Samples = new Map()
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?)\s+(\S+)/.exec(line)
    if (m) out.set(m[1]!, Number(m[2]))
  }
  return out
}

/** Sum of every sample of `name` whose labels include all of `labels`. */
export function sumOf(samples: Samples, name: string, labels: Record<string, string> = {}): number {
  let total = 0
  for (const [key, value] of samples) {
    const brace = key.indexOf('{')
    if ((brace < 0 ? key : key.slice(0, brace)) !== name) continue
    const text = brace < 0 ? '' : key.slice(brace)
    if (Object.entries(labels).every(([k, v]) => text.includes(`${k}="${v}"`))) total += value
  }
  return total
}
