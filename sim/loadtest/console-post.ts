import { request } from 'undici'
import type { LoadReport, LoadSample } from './harness.js'

/**
 * `oclab load --console <url>`: the run's samples, then its report, POSTed as
 * JSON to `<url>/api/load`. A console that is away or slow never fails or
 * slows the run: each POST is given `timeoutMs` and its failure is dropped.
 */
export interface ConsolePoster {
  /** fire and forget */
  sample(s: LoadSample): void
  /** resolves (never rejects) once the final POST has been answered or given up */
  done(report: LoadReport): Promise<void>
}

export function consolePoster(baseUrl: string, timeoutMs = 1000): ConsolePoster {
  const url = `${baseUrl.replace(/\/+$/, '')}/api/load`
  const post = async (body: unknown): Promise<void> => {
    try {
      const res = await request(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      })
      await res.body.dump()
    } catch {
      // the console is optional: the run goes on without it
    }
  }
  return {
    sample: (s) => void post(s),
    done: (report) => post({ done: true, report }),
  }
}
