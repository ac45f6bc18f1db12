import { Aws } from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import { S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { ingestQueue } from '../wiring';

/** The web app's prefix: the default behavior serves it (origin path `/web`). */
export const webPrefix = 'web/';

/**
 * The bucket as an origin signed by `originAccessControl`, without the bucket-policy statement CDK's
 * `withOriginAccessControl` adds (GetObject/PutObject on every object): the Cdn grants per prefix itself.
 */
class PrefixScopedOacOrigin implements cloudfront.IOrigin {
  private readonly origin: cloudfront.IOrigin;

  constructor(
    bucket: s3.IBucket,
    private readonly originAccessControl: cloudfront.IOriginAccessControl,
    originPath?: string,
  ) {
    this.origin = S3BucketOrigin.withBucketDefaults(bucket, { originPath });
  }

  bind(scope: Construct, options: cloudfront.OriginBindOptions): cloudfront.OriginBindConfig {
    const config = this.origin.bind(scope, options);
    return {
      ...config,
      originProperty: {
        ...config.originProperty!,
        // OAC replaces the (empty) origin access identity withBucketDefaults sets.
        s3OriginConfig: { originAccessIdentity: '' },
        originAccessControlId: this.originAccessControl.originAccessControlId,
      },
    };
  }
}

export interface CdnProps {
  bucket: s3.IBucket;
  logsBucket: s3.IBucket;
  /** Signers of upload URLs: the `uploads/*` behavior only serves requests they signed. */
  keyGroup: cloudfront.IKeyGroup;
}

/** CloudFront in front of the private bucket: the web app from `web/`, signed-URL uploads to `uploads/`. */
export class Cdn extends Construct {
  readonly distribution: cloudfront.Distribution;
  /** `https://<distribution domain>`, without a trailing slash. */
  readonly url: string;

  constructor(scope: Construct, id: string, props: CdnProps) {
    super(scope, id);
    const originAccessControl = new cloudfront.S3OriginAccessControl(this, 'OriginAccessControl', {
      description: 'Sluice: CloudFront signs its requests to the private bucket',
    });

    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: 'Sluice: web app and signed-URL uploads',
      defaultRootObject: 'index.html',
      defaultBehavior: {
        origin: new PrefixScopedOacOrigin(props.bucket, originAccessControl, `/${webPrefix.slice(0, -1)}`),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: cloudfront.ResponseHeadersPolicy.SECURITY_HEADERS,
      },
      additionalBehaviors: {
        [`${ingestQueue.uploadPrefix}*`]: {
          origin: new PrefixScopedOacOrigin(props.bucket, originAccessControl),
          allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
          viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
          cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
          trustedKeyGroups: [props.keyGroup],
        },
      },
      enableLogging: true,
      logBucket: props.logsBucket,
      logFilePrefix: 'cloudfront/',
    });
    this.url = `https://${this.distribution.distributionDomainName}`;

    // The distribution may GET only the web app and PUT only uploads (signed URLs); nothing else in the bucket.
    const fromThisDistribution = {
      StringEquals: {
        'AWS:SourceArn': `arn:${Aws.PARTITION}:cloudfront::${Aws.ACCOUNT_ID}:distribution/${this.distribution.distributionId}`,
      },
    };
    const cloudFront = new iam.ServicePrincipal('cloudfront.amazonaws.com');
    for (const [action, prefix] of [
      ['s3:GetObject', webPrefix],
      ['s3:PutObject', ingestQueue.uploadPrefix],
    ] as const) {
      props.bucket.addToResourcePolicy(
        new iam.PolicyStatement({
          principals: [cloudFront],
          actions: [action],
          resources: [props.bucket.arnForObjects(`${prefix}*`)],
          conditions: fromThisDistribution,
        }),
      );
    }

    NagSuppressions.addResourceSuppressions(this.distribution, [
      {
        id: 'AwsSolutions-CFR1',
        reason: 'Sluice serves every region its users sign up from; there is no country to block.',
      },
      {
        id: 'AwsSolutions-CFR2',
        reason:
          'Uploads need a valid CloudFront signature and the web app is static; a WAF web ACL can be attached per deployment when wanted.',
      },
      {
        id: 'AwsSolutions-CFR4',
        reason:
          'Without a custom domain the distribution uses the default *.cloudfront.net certificate, whose security policy CloudFront fixes at TLSv1; viewers are still forced to HTTPS.',
      },
    ]);
  }
}
