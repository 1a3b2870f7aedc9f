/**
 * Overload thresholds no test machine reaches: an OCA built in a test process
 * shares that process (and its RSS: ts-node, coverage, other servers) and a
 * busy CI machine's event-loop lag, so with the defaults it can shed a request
 * (503) where a test expects its answer. Tests of shedding pass their own.
 */
export const NO_SHEDDING = { maxEventLoopDelayMs: 60_000, maxHeapFraction: 1, maxRssBytes: Number.MAX_SAFE_INTEGER }
