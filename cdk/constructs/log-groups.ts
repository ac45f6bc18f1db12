import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { logRetention } from './defaults';
import { logsKey } from './keys';

/** A log group the way Sluice keeps them: encrypted with the stack's logs key, kept `logRetention` (a year). */
export const logGroup = (scope: Construct, id: string): logs.LogGroup =>
  new logs.LogGroup(scope, id, { retention: logRetention, encryptionKey: logsKey(scope) });
