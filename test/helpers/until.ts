/**
 * Poll until `check` returns a value (not undefined): at most `tries` checks
 * `everyMs` apart, and never past `deadlineMs` of wall time, even when one
 * check hangs (a request to a stopped process). On giving up it says what it
 * waited for and the last error a check threw, so a failure explains itself
 * instead of ending in a bare "gave up".
 */
export async function until<T>(check: () => Promise<T | undefined>, what: string, tries = 300, everyMs = 50, deadlineMs = 60_000): Promise<T> {
  const deadline = Date.now() + deadlineMs
  let last = 'every check returned nothing'
  let i = 0
  for (; i < tries && Date.now() < deadline; i++) {
    let timer: NodeJS.Timeout | undefined
    const late = new Promise<never>(
      (_, reject) =>
        (timer = setTimeout(() => reject(new Error(`a check was still running at the ${deadlineMs} ms deadline`)), Math.max(0, deadline - Date.now()))),
    )
    try {
      const v = await Promise.race([check(), late])
      if (v !== undefined) return v
      last = 'the last check returned nothing'
    } catch (err) {
      last = `last error: ${(err as Error)?.message ?? String(err)}`
    } finally {
      clearTimeout(timer)
    }
    await new Promise((r) => setTimeout(r, everyMs))
  }
  throw new Error(`gave up waiting for ${what} after ${i} check(s) in ${Math.round(deadlineMs - (deadline - Date.now()))} ms: ${last}`)
}
