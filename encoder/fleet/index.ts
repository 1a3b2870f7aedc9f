/** encoder/fleet's public API: what other stages and cli/ may use. */
export { fleetMetrics } from './metrics.js'
export { bullmqQueue } from './queue-bullmq.js'
export { checkRedis, clientConnection, DEFAULT_TIMEOUTS, oneLine, outageLog, parseQueueUrl, withTimeout } from './redis-connection.js'
export { queueStatus, renderQueueStatus } from './status.js'
export { sharedDirStorage } from './storage.js'
export { startFleetWorker } from './worker.js'
