/** sim/http-player's public API: what other stages and cli/ may use. */
export { type RequestRecord, clientAgent, runHttpSession } from './session.js'
export { steer, waitForSteering } from './steer.js'
export { formatHttpSessions, runHttpSweep } from './sweep.js'
