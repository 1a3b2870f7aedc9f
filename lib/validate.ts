import type { Static, TSchema } from '@sinclair/typebox'
import { TypeCompiler } from '@sinclair/typebox/compiler'
import { type ErrorCode, OclabError } from './errors.js'

/**
 * Compile a TypeBox schema once and return a function that checks untrusted
 * input against it, throwing an OclabError that lists every problem with its
 * JSON pointer (so a user can find the bad field in a large file).
 */
export function makeValidator<T extends TSchema>(schema: T, code: ErrorCode, what: string) {
  const compiled = TypeCompiler.Compile(schema)
  return (value: unknown, source = what): Static<T> => {
    if (compiled.Check(value)) return value
    const problems = [...compiled.Errors(value)].slice(0, 20).map((e) => `${e.path || '/'}: ${e.message}`)
    throw new OclabError(code, `${source} is not a valid ${what}:\n  ${problems.join('\n  ')}`, problems)
  }
}
