import { readFile } from 'node:fs/promises'
import { createServer } from 'node:net'

/** The kernel hands out ephemeral ports (for listen(0) and outgoing connections) from this range. */
async function ephemeralRange(): Promise<[number, number]> {
  try {
    const [lo, hi] = (await readFile('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')).trim().split(/\s+/).map(Number)
    if (lo && hi) return [lo, hi]
  } catch {
    // not Linux: assume the IANA dynamic range
  }
  return [49152, 65535]
}

const canListen = (port: number, host: string): Promise<boolean> =>
  new Promise((resolve) => {
    const s = createServer()
    s.once('error', () => resolve(false))
    s.listen(port, host, () => s.close(() => resolve(true)))
  })

/**
 * A TCP port free on `host` right now, for a child process that must be told
 * its port before it starts (a server in this process should listen on port
 * 0 instead). It is drawn at random from below the kernel's ephemeral range:
 * a port from inside it could be taken by any outgoing connection in the
 * moment between this check and the child's listen, which busy test runs hit.
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const [lo] = await ephemeralRange()
  const top = Math.min(lo, 65536) - 1
  const bottom = Math.max(10_000, top - 20_000)
  for (let i = 0; i < 50; i++) {
    const port = bottom + Math.floor(Math.random() * (top - bottom))
    if (await canListen(port, host)) return port
  }
  // fall back to whatever the kernel gives
  const s = createServer()
  await new Promise<void>((r) => s.listen(0, host, r))
  const port = (s.address() as { port: number }).port
  await new Promise((r) => s.close(r))
  return port
}
