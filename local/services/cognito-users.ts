/**
 * Confirmed users without an email round trip (`npm run user`): AdminCreateUser with the email verified and
 * no invitation, then AdminSetUserPassword with Permanent, so the user signs in straight away.
 */
import {
  AdminCreateUserCommand,
  AdminSetUserPasswordCommand,
  CognitoIdentityProviderClient,
} from '@aws-sdk/client-cognito-identity-provider';
import { localCredentials } from './credentials';

export async function createConfirmedUser(options: {
  cognitoEndpoint: string;
  region: string;
  userPoolId: string;
  email: string;
  password: string;
}): Promise<{ username: string; sub: string }> {
  const client = new CognitoIdentityProviderClient({
    endpoint: options.cognitoEndpoint,
    region: options.region,
    credentials: localCredentials,
  });
  try {
    const created = await client.send(
      new AdminCreateUserCommand({
        UserPoolId: options.userPoolId,
        Username: options.email,
        MessageAction: 'SUPPRESS',
        UserAttributes: [
          { Name: 'email', Value: options.email },
          { Name: 'email_verified', Value: 'true' },
        ],
      }),
    );
    const username = created.User?.Username ?? options.email;
    await client.send(
      new AdminSetUserPasswordCommand({
        UserPoolId: options.userPoolId,
        Username: username,
        Password: options.password,
        Permanent: true,
      }),
    );
    const sub = created.User?.Attributes?.find((attribute) => attribute.Name === 'sub')?.Value ?? '';
    return { username, sub };
  } finally {
    client.destroy();
  }
}
