/**
 * Stands in for `semver` in the function bundles (cdk/bundling.ts `alias`). Its only importer there is
 * aws-xray-sdk-core's AWS SDK v2 patcher (`captureAWS`, which checks the v2 SDK's version); Sluice uses the SDK v3
 * and `captureAWSv3Client`, so that path never runs, and semver would add about 28 KB to every bundle.
 */
export function gte(): never {
  throw new Error('semver is not bundled: AWS SDK v2 patching (AWSXRay.captureAWS) is not supported here');
}
