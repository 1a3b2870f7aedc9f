/** The folders tsconfig.build.json compiles. */
export const SOURCE_DIRS: string[]
/** The stamp `npm run build` writes after tsc succeeded, relative to the root. */
export const BUILD_STAMP: string
/** true when `root`'s build stamp exists and is newer than every .ts under SOURCE_DIRS and both tsconfigs. */
export function compiledIsFresh(root: string): boolean
