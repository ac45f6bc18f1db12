import type { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { CliError } from '../errors';
import type { CachedTokens } from './token-cache';

export interface CognitoTarget {
  userPoolClientId: string;
  region: string;
  userPoolId?: string;
  cognitoEndpoint?: string;
  local: boolean;
}

/** The local cloud's Cognito accepts any credentials; against AWS, these calls are unauthenticated. */
const localCredentials = { accessKeyId: 'local', secretAccessKey: 'local' };

async function client(target: CognitoTarget): Promise<{
  cognito: CognitoIdentityProviderClient;
  sdk: typeof import('@aws-sdk/client-cognito-identity-provider');
}> {
  // Loaded on demand: most commands run on cached tokens and need no Cognito SDK.
  const sdk = await import('@aws-sdk/client-cognito-identity-provider');
  const cognito = new sdk.CognitoIdentityProviderClient({
    region: target.region,
    ...(target.cognitoEndpoint ? { endpoint: target.cognitoEndpoint, credentials: localCredentials } : {}),
  });
  return { cognito, sdk };
}

const friendlyErrors: Record<string, string> = {
  NotAuthorizedException: 'wrong username or password',
  UserNotFoundException: 'wrong username or password',
  UserNotConfirmedException: 'the account is not confirmed yet: finish sluice signup',
  UsernameExistsException: 'an account with that username already exists: run sluice login',
  InvalidPasswordException: 'the password does not meet the user pool policy',
  CodeMismatchException: 'wrong confirmation code',
  ExpiredCodeException: 'the confirmation code has expired',
};

/**
 * On sign-in, Cognito answers a wrong password with NotAuthorizedException; cognito-local (the local cloud's
 * Cognito) answers it with InvalidPasswordException, which elsewhere means the password policy.
 */
const signInErrors: Record<string, string> = {
  ...friendlyErrors,
  InvalidPasswordException: 'wrong username or password',
};

function cognitoError(action: string, error: unknown, messages = friendlyErrors): CliError {
  const name = (error as { name?: string }).name ?? '';
  const message = (error as Error).message ?? String(error);
  return new CliError(`${action} failed: ${messages[name] ?? message}`);
}

interface AuthResult {
  IdToken?: string;
  AccessToken?: string;
  RefreshToken?: string;
  ExpiresIn?: number;
}

export function tokensFromAuthResult(
  result: AuthResult | undefined,
  now: number,
  previous?: Pick<CachedTokens, 'refreshToken' | 'username'>,
): CachedTokens {
  if (!result?.IdToken || !result.AccessToken) throw new CliError('sign-in returned no tokens');
  const refreshToken = result.RefreshToken ?? previous?.refreshToken;
  return {
    ...(previous?.username ? { username: previous.username } : {}),
    idToken: result.IdToken,
    accessToken: result.AccessToken,
    ...(refreshToken ? { refreshToken } : {}),
    expiresAt: now + (result.ExpiresIn ?? 3600) * 1000,
  };
}

/** USER_PASSWORD_AUTH. */
export async function signIn(
  target: CognitoTarget,
  username: string,
  password: string,
  now = Date.now(),
): Promise<CachedTokens> {
  const { cognito, sdk } = await client(target);
  try {
    const response = await cognito.send(
      new sdk.InitiateAuthCommand({
        ClientId: target.userPoolClientId,
        AuthFlow: 'USER_PASSWORD_AUTH',
        AuthParameters: { USERNAME: username, PASSWORD: password },
      }),
    );
    if (response.ChallengeName) {
      throw new CliError(
        `sign-in needs the ${response.ChallengeName} challenge, which the CLI does not support`,
      );
    }
    return { ...tokensFromAuthResult(response.AuthenticationResult, now), username };
  } catch (error) {
    throw error instanceof CliError ? error : cognitoError('sign-in', error, signInErrors);
  } finally {
    cognito.destroy();
  }
}

/** REFRESH_TOKEN_AUTH; Cognito returns new ID and access tokens and keeps the refresh token. */
export async function refreshTokens(
  target: CognitoTarget,
  tokens: CachedTokens,
  now = Date.now(),
): Promise<CachedTokens> {
  if (!tokens.refreshToken) throw new CliError('no refresh token');
  const { cognito, sdk } = await client(target);
  try {
    const response = await cognito.send(
      new sdk.InitiateAuthCommand({
        ClientId: target.userPoolClientId,
        AuthFlow: 'REFRESH_TOKEN_AUTH',
        AuthParameters: { REFRESH_TOKEN: tokens.refreshToken },
      }),
    );
    return tokensFromAuthResult(response.AuthenticationResult, now, tokens);
  } catch (error) {
    throw cognitoError('token refresh', error);
  } finally {
    cognito.destroy();
  }
}

/** Returns whether Cognito already considers the user confirmed. */
export async function signUp(target: CognitoTarget, username: string, password: string): Promise<boolean> {
  const { cognito, sdk } = await client(target);
  try {
    const response = await cognito.send(
      new sdk.SignUpCommand({
        ClientId: target.userPoolClientId,
        Username: username,
        Password: password,
        UserAttributes: [{ Name: 'email', Value: username }],
      }),
    );
    return response.UserConfirmed === true;
  } catch (error) {
    throw cognitoError('sign-up', error);
  } finally {
    cognito.destroy();
  }
}

/** The local cloud has no mail: its Cognito confirms the user on an admin call instead of an emailed code. */
export async function adminConfirmSignUp(target: CognitoTarget, username: string): Promise<void> {
  if (!target.userPoolId) throw new CliError('the target has no user pool id (--user-pool-id)');
  const { cognito, sdk } = await client(target);
  try {
    await cognito.send(
      new sdk.AdminConfirmSignUpCommand({ UserPoolId: target.userPoolId, Username: username }),
    );
  } catch (error) {
    throw cognitoError('confirmation', error);
  } finally {
    cognito.destroy();
  }
}

export async function confirmSignUp(target: CognitoTarget, username: string, code: string): Promise<void> {
  const { cognito, sdk } = await client(target);
  try {
    await cognito.send(
      new sdk.ConfirmSignUpCommand({
        ClientId: target.userPoolClientId,
        Username: username,
        ConfirmationCode: code,
      }),
    );
  } catch (error) {
    throw cognitoError('confirmation', error);
  } finally {
    cognito.destroy();
  }
}
