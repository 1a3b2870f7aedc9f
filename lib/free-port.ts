import { createServer } from 'node:net'

/**
 * A TCP port free on 127.0.0.1 right now, for a child process that must be
 * told its port up front (a server in this process should listen on port 0).
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const s = createServer()
  await new Promise<void>((r) => s.listen(0, host, r))
  const port = (s.address() as { port: number }).port
  await new Promise((r) => s.close(r))
  return port
}
