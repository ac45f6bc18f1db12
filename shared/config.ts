/** Typed environment for functions: every variable is checked at cold start, all problems reported at once. */
import { z } from 'zod';

/** A positive integer from a string variable (the limits in cdk/wiring.ts settings). */
export const intVar = z.coerce.number().int().positive();

export function readEnv<T extends z.ZodRawShape>(
  shape: T,
  env: NodeJS.ProcessEnv = process.env,
): z.infer<z.ZodObject<T>> {
  const result = z.object(shape).safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const name = issue.path.join('.');
    return env[name] === undefined ? `${name} is not set` : `${name} is invalid (${issue.message})`;
  });
  throw new Error(`Invalid environment: ${problems.join('; ')}`);
}
