import { Counter, Gauge, Histogram, Registry } from 'prom-client'

/**
 * Prometheus metrics for one node. Each server gets its own Registry (not
 * prom-client's global one) so several nodes can live in one process (tests,
 * the demo). Hit ratio = sum(requests{tier=~"memory|disk"}) / sum(requests).
 */
export type Tier = 'memory' | 'disk' | 'miss' | 'none'

export function createMetrics(gauges: { diskUsed: () => number; memoryUsed: () => number; inFlight: () => number; inFlightBytes: () => number }) {
  const registry = new Registry()
  const m = {
    registry,
    requests: new Counter({
      name: 'oca_requests_total',
      help: 'title requests by status and tier that answered',
      labelNames: ['status', 'tier'] as const,
      registers: [registry],
    }),
    bytesServed: new Counter({
      name: 'oca_bytes_served_total',
      help: 'body bytes sent to clients by tier',
      labelNames: ['tier'] as const,
      registers: [registry],
    }),
    fillBytes: new Counter({ name: 'oca_fill_bytes_total', help: 'bytes fetched from parents', labelNames: ['kind'] as const, registers: [registry] }),
    parentLatency: new Histogram({
      name: 'oca_parent_fetch_seconds',
      help: 'time from parent request to response headers',
      labelNames: ['outcome'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    collapsed: new Counter({ name: 'oca_collapsed_requests_total', help: 'miss requests that joined a fill already in flight', registers: [registry] }),
    fillVerifyFailures: new Counter({
      name: 'oca_fill_verify_failures_total',
      help: 'parent answers refused by fill verification (nothing stored): reason digest-mismatch|size-mismatch|truncated|no-digest, kind miss|prefill',
      labelNames: ['reason', 'kind'] as const,
      registers: [registry],
    }),
    unhandledRejections: new Counter({
      name: 'oca_unhandled_rejections_total',
      help: 'promise rejections nothing handled, logged and survived (counted only where the process installed the guard: `oclab oca`)',
      registers: [registry],
    }),
    shed: new Counter({
      name: 'oca_shed_requests_total',
      help: 'title requests refused with 503: reason overloaded (event-loop delay, RSS or heap guard) or in-flight-bytes (the in-flight budget was full)',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    evictions: new Counter({
      name: 'oca_evictions_total',
      help: 'objects dropped by tier and reason',
      labelNames: ['tier', 'reason'] as const,
      registers: [registry],
    }),
  }
  new Gauge({
    name: 'oca_disk_used_bytes',
    help: 'bytes held in the disk store',
    registers: [registry],
    collect() {
      this.set(gauges.diskUsed())
    },
  })
  new Gauge({
    name: 'oca_memory_tier_used_bytes',
    help: 'bytes held in the hot tier',
    registers: [registry],
    collect() {
      this.set(gauges.memoryUsed())
    },
  })
  new Gauge({
    name: 'oca_requests_in_flight',
    help: 'requests being answered',
    registers: [registry],
    collect() {
      this.set(gauges.inFlight())
    },
  })
  new Gauge({
    name: 'oca_in_flight_bytes',
    help: 'bytes charged to the in-flight budget (answers being sent, promotions being read)',
    registers: [registry],
    collect() {
      this.set(gauges.inFlightBytes())
    },
  })
  return m
}

export type OcaMetrics = ReturnType<typeof createMetrics>
