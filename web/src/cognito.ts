/**
 * Cognito's user pool JSON API over fetch (no SDK: the bundle stays small). Every call is an unsigned POST with
 * `X-Amz-Target: AWSCognitoIdentityProviderService.<Operation>`, as the public (secretless) app client allows.
 */
export interface Tokens {
  idToken: string;
  accessToken: string;
  refreshToken: string;
  /** Epoch milliseconds at which the ID and access tokens expire. */
  expiresAt: number;
}

export class AuthError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'AuthError';
  }
}

const readable: Record<string, string> = {
  NotAuthorizedException: 'Incorrect email or password.',
  UserNotFoundException: 'Incorrect email or password.',
  UserNotConfirmedException: 'This account is not confirmed yet: enter the code sent to your email.',
  UsernameExistsException: 'An account with this email already exists.',
  InvalidPasswordException:
    'The password does not meet the policy: at least 12 characters with upper and lower case letters, a number and a symbol.',
  CodeMismatchException: 'That confirmation code is not right.',
  ExpiredCodeException: 'That confirmation code has expired.',
  TooManyRequestsException: 'Too many attempts: wait a moment and try again.',
  LimitExceededException: 'Too many attempts: wait a moment and try again.',
  PasswordResetRequiredException: 'This account needs a password reset before it can sign in.',
};

/**
 * `{"__type":"…#NotAuthorizedException","message":"…"}` → a message a person can act on. Signing in, a wrong
 * password is NotAuthorizedException in Cognito and InvalidPasswordException in cognito-local: both mean the
 * same to the user.
 */
export function authErrorFrom(status: number, body: unknown, operation = ''): AuthError {
  const record = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const code = String(record.__type ?? record.code ?? `HTTP${status}`)
    .split('#')
    .pop()!;
  const message = String(record.message ?? record.Message ?? '');
  if (operation === 'InitiateAuth' && code === 'InvalidPasswordException') {
    return new AuthError(code, readable.NotAuthorizedException!);
  }
  return new AuthError(code, readable[code] ?? (message || `Sign-in service error (${code}).`));
}

interface AuthenticationResult {
  IdToken?: string;
  AccessToken?: string;
  RefreshToken?: string;
  ExpiresIn?: number;
}

export interface CognitoClient {
  signIn(username: string, password: string): Promise<Tokens>;
  /** New ID and access tokens; Cognito keeps the refresh token as it is. */
  refresh(refreshToken: string): Promise<Tokens>;
  /** Returns whether Cognito confirmed the user at once. */
  signUp(username: string, password: string): Promise<{ confirmed: boolean }>;
  confirmSignUp(username: string, code: string): Promise<void>;
  /** Local cloud only (cognito-local accepts unsigned admin calls): confirmation without an emailed code. */
  adminConfirmSignUp(userPoolId: string, username: string): Promise<void>;
  revoke(refreshToken: string): Promise<void>;
}

export function createCognitoClient(
  endpoint: string,
  clientId: string,
  options: { fetch?: typeof fetch; now?: () => number } = {},
): CognitoClient {
  const fetchImpl = options.fetch ?? ((input, init) => fetch(input, init));
  const now = options.now ?? Date.now;

  async function call<T>(operation: string, body: Record<string, unknown>): Promise<T> {
    let response: Response;
    try {
      response = await fetchImpl(endpoint, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/x-amz-json-1.1',
          'X-Amz-Target': `AWSCognitoIdentityProviderService.${operation}`,
        },
        body: JSON.stringify(body),
      });
    } catch {
      throw new AuthError('NetworkError', 'The sign-in service cannot be reached. Check your connection.');
    }
    const text = await response.text();
    let parsed: unknown = {};
    try {
      parsed = text ? JSON.parse(text) : {};
    } catch {
      // not JSON: the status says enough
    }
    if (!response.ok) throw authErrorFrom(response.status, parsed, operation);
    return parsed as T;
  }

  async function authenticate(
    flow: 'USER_PASSWORD_AUTH' | 'REFRESH_TOKEN_AUTH',
    parameters: Record<string, string>,
  ): Promise<AuthenticationResult> {
    const response = await call<{ AuthenticationResult?: AuthenticationResult; ChallengeName?: string }>(
      'InitiateAuth',
      { AuthFlow: flow, ClientId: clientId, AuthParameters: parameters },
    );
    const result = response.AuthenticationResult;
    if (!result?.IdToken || !result.AccessToken) {
      throw new AuthError(
        response.ChallengeName ?? 'NoTokens',
        response.ChallengeName
          ? `This account needs a step the web app does not support (${response.ChallengeName}).`
          : 'The sign-in service returned no tokens.',
      );
    }
    return result;
  }

  const tokens = (result: AuthenticationResult, refreshToken: string): Tokens => ({
    idToken: result.IdToken!,
    accessToken: result.AccessToken!,
    refreshToken: result.RefreshToken ?? refreshToken,
    expiresAt: now() + (result.ExpiresIn ?? 3600) * 1000,
  });

  return {
    async signIn(username, password) {
      const result = await authenticate('USER_PASSWORD_AUTH', { USERNAME: username, PASSWORD: password });
      if (!result.RefreshToken)
        throw new AuthError('NoTokens', 'The sign-in service returned no refresh token.');
      return tokens(result, result.RefreshToken);
    },
    async refresh(refreshToken) {
      return tokens(await authenticate('REFRESH_TOKEN_AUTH', { REFRESH_TOKEN: refreshToken }), refreshToken);
    },
    async signUp(username, password) {
      const response = await call<{ UserConfirmed?: boolean }>('SignUp', {
        ClientId: clientId,
        Username: username,
        Password: password,
        UserAttributes: [{ Name: 'email', Value: username }],
      });
      return { confirmed: response.UserConfirmed === true };
    },
    async confirmSignUp(username, code) {
      await call('ConfirmSignUp', { ClientId: clientId, Username: username, ConfirmationCode: code });
    },
    async adminConfirmSignUp(userPoolId, username) {
      await call('AdminConfirmSignUp', { UserPoolId: userPoolId, Username: username });
    },
    async revoke(refreshToken) {
      await call('RevokeToken', { ClientId: clientId, Token: refreshToken });
    },
  };
}
