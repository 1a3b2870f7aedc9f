/**
 * Bounds on what sim and lint will read. Values past these are not networks
 * or ladders anyone measures: they are typos or hostile files, and letting
 * them through ends as Infinity or NaN in a report (1e305 Mbit/s × 1e6
 * overflows a double) instead of an error naming the bad value.
 */

/** 100 Gbit/s: above any access link a trace records and any ladder rung. */
export const MAX_BITS_PER_SECOND = 100e9

/** 7 days: the longest trace loop (real traces run minutes to hours). */
export const MAX_TRACE_SECONDS = 7 * 24 * 3600

/** 60 s: the longest per-request latency a trace may carry. */
export const MAX_LATENCY_SECONDS = 60

/** 1 hour: the longest segment a ladder may hold (HLS and DASH use 2–10 s). */
export const MAX_SEGMENT_SECONDS = 3600

/** 7 days: the longest title a ladder may describe. */
export const MAX_TITLE_SECONDS = 7 * 24 * 3600

/** 64 MiB: the default cap on one file or HTTP body (manifest, playlist, title.json, trace, media segment). */
export const DEFAULT_MAX_INPUT_BYTES = 64 * 1024 * 1024

/** "12.5 Gbit/s", "800 kbit/s": a bit rate in the unit a reader would use. */
export function formatBitRate(bps: number): string {
  if (bps >= 1e9) return `${Number((bps / 1e9).toPrecision(4))} Gbit/s`
  if (bps >= 1e6) return `${Number((bps / 1e6).toPrecision(4))} Mbit/s`
  return `${Number((bps / 1e3).toPrecision(4))} kbit/s`
}
