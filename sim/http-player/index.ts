/** sim/http-player's public API: what other stages and cli/ may use. */
export { clientAgent, type RequestRecord, runHttpSession } from './session.js'
export { steer, waitForSteering } from './steer.js'
export { formatHttpSessions, runHttpSweep } from './sweep.js'
