/**
 * What a server process does with a promise rejection nothing handled.
 * Node's default (`--unhandled-rejections=throw`) kills the process: one
 * request that hits such a bug would take a cache node and every session on
 * it down. A long-running server instead logs the rejection at error level
 * and counts it (a metric an operator alerts on: every one is a bug), and
 * goes on serving. Uncaught *exceptions* still end the process: state after
 * a synchronous throw escaped is unknown, and the cluster runner restarts it.
 *
 * Only the CLI entry points of servers (`oclab oca`, `oclab origin`) install
 * this: a process-wide handler is the process owner's choice, so library use
 * (`buildOcaServer` in tests, the demo, an embedding program) leaves the
 * process's own policy alone.
 */
export interface RejectionLog {
  error: (obj: object, msg: string) => void
}

/** Install the handler; returns a function that removes it. */
export function guardUnhandledRejections(log: RejectionLog, count: () => void): () => void {
  const onRejection = (reason: unknown): void => {
    count()
    log.error({ err: reason }, 'unhandled promise rejection (a bug: logged and counted, the process goes on serving)')
  }
  process.on('unhandledRejection', onRejection)
  return () => {
    process.off('unhandledRejection', onRejection)
  }
}
