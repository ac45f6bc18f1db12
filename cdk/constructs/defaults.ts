import { fileURLToPath } from 'node:url';
import { Duration } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';

/** Absolute path of the repository root: wiring entries and the workflow file are relative to it. */
export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/**
 * How long every log group (functions, API access, workflow) keeps its logs: a year, the minimum of the Control
 * Tower control CT.CLOUDWATCH.PR.2 (storage is $0.03/GB-month; the stack writes ≈ 0.2 GB per million POSTs).
 */
export const logRetention = RetentionDays.ONE_YEAR;

/** Steady-state and burst request limits of the API's default stage (well under the account quota). */
export const apiThrottle = { rateLimit: 1000, burstLimit: 2000 };

/** The evaluation period of every alarm. */
export const alarmPeriod = Duration.minutes(5);
