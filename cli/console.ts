import { readCluster } from '../lib/cluster.js'
import type { Command } from './command.js'
import { numberOption, requiredString, stringOption } from './command.js'

/**
 * `oclab console --config cluster.json`: serve the console page (cluster
 * state, a player through Content Steering, live charts of `oclab load
 * --console <url>`). SIGTERM/SIGINT close it.
 */
export const command: Command = {
  name: 'console',
  summary: 'Serve a page showing the cluster, a video playing through HLS Content Steering, and live charts of a load run.',
  usage: '--config <cluster.json> [--port 8099] [--host 127.0.0.1]',
  options: {
    config: { type: 'string', arg: '<file>', help: 'the cluster file' },
    port: { type: 'string', arg: '<port>', default: '8099', help: 'port to listen on (0: any free port)' },
    host: { type: 'string', arg: '<host>', default: '127.0.0.1', help: 'address to listen on' },
  },
  async run(values) {
    const cluster = await readCluster(requiredString(values, 'config'))
    const port = numberOption(values, 'port', { min: 0, max: 65535, integer: true }) ?? 8099
    const host = stringOption(values, 'host') ?? '127.0.0.1'
    const { buildConsoleServer } = await import('../console/index.js')
    const app = buildConsoleServer({ cluster })
    let closed!: () => void
    const done = new Promise<void>((r) => (closed = r))
    const stop = (): void => void app.close().then(closed)
    process.once('SIGTERM', stop)
    process.once('SIGINT', stop)
    const url = await app.listen({ host, port })
    console.log(`console: ${url}/  (load runs report here with: oclab load --config <cluster.json> --console ${url})`)
    await done
    return 0
  },
}
