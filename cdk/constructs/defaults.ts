import { fileURLToPath } from 'node:url';
import { Duration } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';

/** Absolute path of the repository root: wiring entries and the workflow file are relative to it. */
export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/** How long every log group (functions, API access, workflow) keeps its logs. */
export const logRetention = RetentionDays.ONE_MONTH;

/** Steady-state and burst request limits of the API's default stage (well under the account quota). */
export const apiThrottle = { rateLimit: 1000, burstLimit: 2000 };

/** The evaluation period of every alarm. */
export const alarmPeriod = Duration.minutes(5);
