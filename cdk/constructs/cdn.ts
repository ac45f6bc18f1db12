import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import { S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { ingestQueue } from '../wiring';

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
    const { READ, WRITE } = cloudfront.AccessLevel;

    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: 'Sluice: web app and signed-URL uploads',
      defaultRootObject: 'index.html',
      defaultBehavior: {
        origin: S3BucketOrigin.withOriginAccessControl(props.bucket, {
          originPath: '/web',
          originAccessControl,
          originAccessLevels: [READ],
        }),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: cloudfront.ResponseHeadersPolicy.SECURITY_HEADERS,
      },
      additionalBehaviors: {
        [`${ingestQueue.uploadPrefix}*`]: {
          origin: S3BucketOrigin.withOriginAccessControl(props.bucket, {
            originAccessControl,
            originAccessLevels: [READ, WRITE],
          }),
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
