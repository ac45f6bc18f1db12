/**
 * Typed environment for functions: every variable is checked at cold start, all problems reported at once.
 * Written with zod/mini (tree-shakable, ~17 KB bundled against ~90 KB for classic zod): the functions that
 * also carry ajv and re2js stay under the bundle ceiling only without classic zod. `readEnv` accepts schemas of
 * either flavour (both are zod core schemas).
 */
import * as z from 'zod/mini';
import type * as core from 'zod/v4/core';

/** A positive integer from a string variable (the limits in cdk/wiring.ts settings). */
export const intVar = z.pipe(z.coerce.number(), z.int().check(z.positive()));

/** A non-empty string variable (resource names, URLs, ARNs). */
export const textVar = z.string().check(z.minLength(1));

export function readEnv<T extends core.$ZodShape>(
  shape: T,
  env: NodeJS.ProcessEnv = process.env,
): z.infer<z.ZodMiniObject<T>> {
  const result = z.safeParse(z.object(shape), env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const name = issue.path.join('.');
    return env[name] === undefined ? `${name} is not set` : `${name} is invalid (${issue.message})`;
  });
  throw new Error(`Invalid environment: ${problems.join('; ')}`);
}
