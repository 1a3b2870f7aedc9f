import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const bin = fileURLToPath(new URL('../../bin/oclab.js', import.meta.url))

export interface Child {
  proc: ChildProcess
  stderr: () => string
  exited: Promise<number | null>
}

type Teardown = { teardown: (f: () => void | Promise<void>) => void }

/** `oclab <args>` as a child process; killed (SIGKILL) at teardown if still running. */
export function oclab(t: Teardown, args: string[]): Child {
  const proc = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'ignore', 'pipe'] })
  let err = ''
  proc.stderr!.on('data', (c) => (err += c))
  const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)))
  t.teardown(() => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL')
  })
  return { proc, stderr: () => err, exited }
}

export { until } from '../helpers/until.js'

export async function getJson<T>(url: string, headers: Record<string, string> = {}): Promise<T> {
  const r = await fetch(url, { headers })
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`)
  return (await r.json()) as T
}
