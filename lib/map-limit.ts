/**
 * `fn` over `items` with at most `limit` calls in flight, results in input
 * order (as p-limit or async's mapLimit, without the dependency). The first
 * rejection rejects the whole map; calls already started run to their end.
 */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (x: T, i: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++
      out[i] = await fn(items[i]!, i)
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker))
  return out
}
