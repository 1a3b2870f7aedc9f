import type { Command } from './command.js'

/**
 * Every `oclab <command>`: a name and a lazy import, so `oclab sim` does not
 * load Fastify and `oclab oca` does not load the encoder.
 */
export const commands: Record<string, { summary: string; load: () => Promise<Command> }> = {
  source: { summary: 'generate a synthetic test source (simple or complex) with ffmpeg', load: async () => (await import('./source.js')).command },
  inspect: { summary: 'probe a source and print its inspection report', load: async () => (await import('./inspect.js')).command },
  compare: {
    summary: 'BD-rate and BD-quality (VMAF, PSNR) between two title packages, with an HTML report of their RD curves',
    load: async () => (await import('./compare.js')).command,
  },
  encode: { summary: 'encode a source into a CMAF title package (HLS + DASH)', load: async () => (await import('./encode.js')).command },
  worker: { summary: 'run an encoding worker taking chunk jobs from the Redis queue', load: async () => (await import('./worker.js')).command },
  queue: { summary: "show the encoding fleet's queue per title", load: async () => (await import('./queue.js')).command },
  sim: { summary: 'replay network traces against a ladder in virtual time with ABR algorithms', load: async () => (await import('./sim.js')).command },
  lint: {
    summary: 'check an HLS playlist or DASH MPD and its ladder (RFC 8216, ISO/IEC 23009-1, DASH-IF, Apple); --deep reads the segments',
    load: async () => (await import('./lint.js')).command,
  },
  oca: { summary: 'run an OCA cache node (serve titles, fill from its parent, health, metrics)', load: async () => (await import('./oca.js')).command },
  steering: {
    summary: 'run the steering service (health checks, ranked OCAs, HLS/DASH Content Steering, 302 mode)',
    load: async () => (await import('./steering.js')).command,
  },
  origin: {
    summary: 'run the origin (master store, catalog), ingest packages, pre-position titles onto OCAs, evaluate placement',
    load: async () => (await import('./origin.js')).command,
  },
  load: { summary: 'load-test a running cluster with HTTP-mode players and injected faults', load: async () => (await import('./load.js')).command },
  cluster: {
    summary: 'start origin, OCAs and steering of a cluster file as supervised processes (restarted on failure); cluster status / cluster stop',
    load: async () => (await import('./cluster.js')).command,
  },
  console: {
    summary: 'serve a page showing the cluster, a video through HLS Content Steering and live load-run charts',
    load: async () => (await import('./console.js')).command,
  },
  demo: { summary: 'run the main job end to end on this machine', load: async () => (await import('./demo.js')).command },
}
