/** console's public API: what other stages and cli/ may use. */
export { buildConsoleServer } from './server.js'
