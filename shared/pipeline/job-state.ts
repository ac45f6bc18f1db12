/** Why a job's status could not change, told from its current record (read only on that failure path). */
import type { JobRecord, JobStatus } from '../jobs/model';
import { TaskError } from './errors';

export function notRunnable(jobId: string, current: JobRecord | undefined, to: JobStatus): TaskError {
  return new TaskError(
    'JobNotRunnable',
    current ? `job ${jobId} is ${current.status} and cannot become ${to}` : `job ${jobId} does not exist`,
  );
}
