import type { Trace } from '../index.js'

/**
 * Reads a response body no faster than the trace lets the bytes through: the
 * client's access link is the trace, the loopback behind it is near-infinite.
 * Byte r may be consumed once the trace has carried r bytes since the first
 * byte; reading pauses (TCP back-pressure does the rest) until then. Time on
 * the trace is session time; `timeScale` session seconds pass per wall second.
 */
export interface PaceOptions {
  trace: Trace
  /** Trace time (session time + the session's trace offset) of the first byte. */
  traceStart: number
  /** performance.now() at the first byte. */
  wallStart: number
  timeScale: number
  signal?: AbortSignal
  onBytes?: (loaded: number) => void
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason)
    const t = setTimeout(resolve, ms)
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t)
        reject(signal.reason)
      },
      { once: true },
    )
  })

/** Consume `body`, paced; returns the bytes read. */
export async function pacedRead(body: AsyncIterable<Uint8Array>, o: PaceOptions): Promise<number> {
  const startBytes = o.trace.bytesBefore(o.traceStart)
  let loaded = 0
  for await (const chunk of body) {
    loaded += chunk.byteLength
    o.onBytes?.(loaded)
    const due = o.trace.timeForBytes(startBytes + loaded) - o.traceStart
    const wait = o.wallStart + (due * 1000) / o.timeScale - performance.now()
    if (wait > 1) await sleep(wait, o.signal)
  }
  return loaded
}

export { sleep }
