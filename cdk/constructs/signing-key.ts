import { CustomResource } from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as cr from 'aws-cdk-lib/custom-resources';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { logGroup } from './log-groups';
import { wildcard } from './nag';
import { nodeFunction } from './node-function';

/**
 * The CloudFront key pair that signs upload URLs. A deploy-time custom resource generates it: the private
 * key goes straight into the secret, only the public key comes back (as the `PublicKeyPem` attribute) into
 * the template, the CloudFront public key and the key group.
 */
export class SigningKey extends Construct {
  /** Holds the private key PEM (the custom resource replaces the generated placeholder). */
  readonly secret: secretsmanager.Secret;
  readonly publicKey: cloudfront.PublicKey;
  readonly keyGroup: cloudfront.KeyGroup;

  constructor(scope: Construct, id: string) {
    super(scope, id);

    this.secret = new secretsmanager.Secret(this, 'PrivateKey', {
      description: 'Sluice: private key (PEM) of the CloudFront key pair that signs upload URLs',
      generateSecretString: { passwordLength: 32, excludePunctuation: true },
    });
    NagSuppressions.addResourceSuppressions(this.secret, [
      {
        id: 'AwsSolutions-SMG4',
        reason:
          'A new private key is useless without its public key in the CloudFront key group; the key pair is rotated by replacing the SigningKey resources, not by Secrets Manager rotation.',
      },
    ]);

    const onEvent = nodeFunction(this, 'Generator', {
      entry: 'cdk/custom-resources/signing-key/handler.ts',
      description: 'Sluice deploy time: generates the CloudFront signing key pair',
      timeoutSeconds: 60,
      memoryMb: 256,
    });
    this.secret.grantWrite(onEvent);
    this.secret.grantRead(onEvent);

    const provider = new cr.Provider(this, 'Provider', {
      onEventHandler: onEvent,
      logGroup: logGroup(this, 'ProviderLogs'),
    });
    NagSuppressions.addResourceSuppressions(
      provider,
      [
        {
          id: 'AwsSolutions-IAM4',
          reason:
            'The custom resource framework function (CDK-managed) uses AWSLambdaBasicExecutionRole for its logs.',
          appliesTo: [
            'Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole',
          ],
        },
        {
          id: 'AwsSolutions-IAM5',
          reason: 'The CDK-managed framework function may invoke the generator function and its versions.',
          appliesTo: [wildcard.versionsOf(onEvent)],
        },
      ],
      true,
    );
    const keyPair = new CustomResource(this, 'KeyPair', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::CloudFrontSigningKey',
      properties: { SecretArn: this.secret.secretArn },
    });

    this.publicKey = new cloudfront.PublicKey(this, 'PublicKey', {
      encodedKey: keyPair.getAttString('PublicKeyPem'),
      comment: 'Sluice: verifies signed upload URLs',
    });
    this.keyGroup = new cloudfront.KeyGroup(this, 'KeyGroup', {
      items: [this.publicKey],
      comment: 'Sluice: signers of upload URLs',
    });
  }
}
