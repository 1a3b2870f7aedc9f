import type { Command } from './command.js'

export const command: Command = {
  name: 'demo',
  summary:
    'The whole pipeline on this machine: a multishot source encoded with fixed, per-title and shot-based ladders, a 3-region cluster, pre-positioning, a load run with an OCA killed mid-run, and the story.',
  usage: '[--out <dir>] [--duration S] [--size WxH] [--load-seconds S]',
  options: {
    out: { type: 'string', arg: '<dir>', default: 'out/demo', help: 'where sources, stores, logs and the report go (replaced on each run)' },
    duration: { type: 'string', arg: '<s>', default: '10', help: 'length of the generated multishot source' },
    size: { type: 'string', arg: '<WxH>', default: '640x360', help: 'source frame size' },
    'load-seconds': { type: 'string', arg: '<s>', default: '20', help: 'seconds during which players arrive' },
    'time-scale': { type: 'string', arg: '<x>', default: '4', help: 'session seconds per wall second for the players' },
  },
  // The pipeline (encoder, cluster, load harness, origin) loads only when the demo runs: `--help` starts without it.
  async run(values) {
    return (await import('./demo-run.js')).runDemo(values)
  },
}
