import { adminConfirmSignUp, confirmSignUp, signIn, signUp } from '../auth/cognito';
import { readLine, readSecret } from '../auth/prompt';
import { cacheKey } from '../auth/token-cache';
import type { Context } from '../context';
import { UsageError } from '../errors';
import { requireCognito } from '../target';

async function password(ctx: Context): Promise<string> {
  const fromEnv = ctx.io.env.SLUICE_PASSWORD;
  const value = fromEnv ?? (await readSecret(ctx.io, 'Password: '));
  if (!value) throw new UsageError('empty password');
  return value;
}

/** `sluice login --username <email>`: USER_PASSWORD_AUTH, tokens cached for this target. */
export async function login(ctx: Context, username: string): Promise<number> {
  const target = requireCognito(await ctx.target());
  const tokens = await signIn(target, username, await password(ctx), ctx.deps.now());
  await ctx.tokenCache().set(cacheKey(target), tokens);
  if (ctx.json) ctx.printJson({ signedIn: true, username, apiUrl: target.apiUrl });
  else ctx.note(`signed in as ${username} (${target.apiUrl})`);
  return 0;
}

/** `sluice logout`: forgets this target's tokens. */
export async function logout(ctx: Context): Promise<number> {
  const target = await ctx.target();
  const forgotten = await ctx.tokenCache().delete(cacheKey(target));
  if (ctx.json) ctx.printJson({ signedOut: forgotten, apiUrl: target.apiUrl });
  else ctx.note(forgotten ? `signed out of ${target.apiUrl}` : `was not signed in to ${target.apiUrl}`);
  return 0;
}

/**
 * `sluice signup --username <email>`: SignUp, then confirmation (the local cloud's Cognito by an admin call;
 * AWS by the emailed code, from `--code` or a prompt), then sign-in.
 */
export async function signup(ctx: Context, username: string, code: string | undefined): Promise<number> {
  const target = requireCognito(await ctx.target());
  const secret = await password(ctx);
  const confirmed = await signUp(target, username, secret);
  if (!confirmed) {
    if (target.local) {
      await adminConfirmSignUp(target, username);
    } else {
      const emailed = code ?? (await readLine(ctx.io, `Confirmation code sent to ${username}: `));
      if (!emailed) throw new UsageError('no confirmation code (pass --code)');
      await confirmSignUp(target, username, emailed);
    }
  }
  const tokens = await signIn(target, username, secret, ctx.deps.now());
  await ctx.tokenCache().set(cacheKey(target), tokens);
  if (ctx.json) ctx.printJson({ signedUp: true, signedIn: true, username, apiUrl: target.apiUrl });
  else ctx.note(`signed up and signed in as ${username} (${target.apiUrl})`);
  return 0;
}
