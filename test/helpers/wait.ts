import { setTimeout as sleep } from 'node:timers/promises'

/**
 * Poll `cond` until it holds, at most `timeoutMs` (default 30 s: generous for
 * a loaded 2-core CI machine, far below tap's 300 s file timeout). On the
 * deadline it throws with `what` and, if given, `state()` (what the test was
 * looking at), so a regression fails with a message instead of hanging the
 * file. Polling, not a sleep: it returns as soon as the condition holds.
 */
export async function waitFor(
  cond: () => boolean | Promise<boolean>,
  what: string,
  opts: { timeoutMs?: number; everyMs?: number; state?: () => unknown } = {},
): Promise<void> {
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000)
  for (;;) {
    if (await cond()) return
    if (Date.now() > deadline) {
      const state = opts.state ? ` (state: ${JSON.stringify(opts.state())})` : ''
      throw new Error(`timed out after ${opts.timeoutMs ?? 30_000} ms waiting for ${what}${state}`)
    }
    await sleep(opts.everyMs ?? 5)
  }
}
