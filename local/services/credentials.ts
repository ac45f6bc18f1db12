/**
 * The credentials every local client and function uses. s3rver checks SigV4 signatures against its one
 * account (S3RVER/S3RVER); the other emulators accept any credentials.
 */
export const localCredentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
