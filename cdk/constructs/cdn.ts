import { Aws } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import { S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { ingestQueue } from '../wiring';
import { waive } from './controls';

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

/** The user's own domain for the distribution (`-c sluice:domainName=… -c sluice:certificateArn=…`). */
export interface CustomDomain {
  domainName: string;
  /** An ACM certificate in us-east-1 (CloudFront's region) covering `domainName`. */
  certificateArn: string;
}

/**
 * The custom domain from context, or undefined when neither key is given. Throws when only one is, or when the
 * certificate is not an ACM certificate in us-east-1.
 */
export function customDomainFrom(context: {
  domainName?: unknown;
  certificateArn?: unknown;
}): CustomDomain | undefined {
  const { domainName, certificateArn } = context;
  if (domainName === undefined && certificateArn === undefined) return undefined;
  if (
    typeof domainName !== 'string' ||
    typeof certificateArn !== 'string' ||
    !domainName ||
    !certificateArn
  ) {
    throw new Error('sluice:domainName and sluice:certificateArn go together: give both or neither');
  }
  if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/.test(domainName)) {
    throw new Error(
      `sluice:domainName: "${domainName}" is not a domain name (lower case, no scheme or path)`,
    );
  }
  if (!/^arn:aws[a-z-]*:acm:us-east-1:\d{12}:certificate\/[\w-]+$/.test(certificateArn)) {
    throw new Error(
      `sluice:certificateArn: "${certificateArn}" is not an ACM certificate ARN in us-east-1, where CloudFront reads certificates`,
    );
  }
  return { domainName, certificateArn };
}

export interface CdnProps {
  bucket: s3.IBucket;
  /** The bucket's SSE-KMS key: the distribution decrypts web/ objects and encrypts uploads with it. */
  dataKey: kms.IKey;
  /** Served under this domain with its certificate; without it, under the distribution's *.cloudfront.net. */
  domain?: CustomDomain;
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
      ...(props.domain && {
        domainNames: [props.domain.domainName],
        certificate: acm.Certificate.fromCertificateArn(this, 'Certificate', props.domain.certificateArn),
        sslSupportMethod: cloudfront.SSLMethod.SNI,
        minimumProtocolVersion: cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
      }),
    });
    this.url = `https://${props.domain?.domainName ?? this.distribution.distributionDomainName}`;

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

    // The bucket's objects are SSE-KMS encrypted: the distribution decrypts what it GETs (web/) and encrypts what
    // it PUTs (uploads/), under the bucket's encryption context (S3 Bucket Key) and for this distribution only.
    props.dataKey.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [cloudFront],
        actions: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: {
          ...fromThisDistribution,
          StringEquals: {
            ...fromThisDistribution.StringEquals,
            'kms:EncryptionContext:aws:s3:arn': props.bucket.bucketArn,
          },
        },
      }),
    );

    waive(
      this.distribution,
      'ct-cloudfront-pr-4',
      'Origin failover needs a second origin holding the same objects (a replicated bucket in another region, with its own key), and CloudFront origin groups serve only GET, HEAD and OPTIONS, so the uploads/* PUT behavior could not fail over anyway.',
    );
    if (!props.domain) {
      const noDomain =
        "Without a domain of the user (-c sluice:domainName=… -c sluice:certificateArn=…) the distribution serves *.cloudfront.net with CloudFront's default certificate";
      waive(
        this.distribution,
        'ct-cloudfront-pr-6',
        `${noDomain}, which cannot be replaced by a custom one.`,
      );
      waive(
        this.distribution,
        'ct-cloudfront-pr-7',
        `${noDomain}, for which CloudFront chooses the SSL support method.`,
      );
      waive(
        this.distribution,
        'ct-cloudfront-pr-9',
        `${noDomain}, whose security policy CloudFront fixes (viewers are still redirected to HTTPS).`,
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
    ]);
    if (!props.domain) {
      NagSuppressions.addResourceSuppressions(this.distribution, [
        {
          id: 'AwsSolutions-CFR4',
          reason:
            'Without a custom domain the distribution uses the default *.cloudfront.net certificate, whose security policy CloudFront fixes at TLSv1; viewers are still forced to HTTPS.',
        },
      ]);
    }
  }
}
