// Loaded into every test process by tap (package.json "tap"."node-arg"), after
// tap's own coverage hook has started: it turns coverage off for the processes
// a test spawns (`bin/oclab.js` and the cluster's children inherit this env).
// Those run the same TypeScript compiled by tsx, whose byte offsets do not line
// up with ts-node's, so merging the two garbled per-file figures (see README,
// "What the coverage figure covers"). Coverage is counted in test processes only.
process.env._TAPJS_PROCESSINFO_COVERAGE_ = '0'
