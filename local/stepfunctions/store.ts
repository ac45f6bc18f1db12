/**
 * Durable state of the local Step Functions service under its data directory:
 *   state-machines.json                              per state machine name: creation date, last validated definition
 *   executions/<machine>/<execution>.json            the execution record, replaced atomically (write + rename)
 *   executions/<machine>/<execution>.history.ndjson  its history, one event per line, append-only
 * Names are URI-encoded in file names. A torn last history line (a crash mid-append) is skipped on load.
 */
import { randomUUID } from 'node:crypto';
import { appendFile, mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { HistoryEvent } from './history';

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

export interface ExecutionRecord {
  executionArn: string;
  stateMachineArn: string;
  stateMachineName: string;
  name: string;
  status: ExecutionStatus;
  /** Epoch milliseconds. */
  startDate: number;
  stopDate?: number;
  input: string;
  output?: string;
  error?: string;
  cause?: string;
  roleArn: string;
  /** The definition the execution started with; a resumed execution keeps running it. */
  definition: string;
  traceHeader?: string;
  redriveCount: number;
  redriveDate?: number;
}

export interface StateMachineRecord {
  /** Epoch milliseconds. */
  creationDate: number;
  /** SHA-256 of the definition last validated, so an unchanged definition isn't validated again. */
  definitionSha256?: string;
}

export interface StoredExecution {
  record: ExecutionRecord;
  history: HistoryEvent[];
}

const recordSuffix = '.json';
const historySuffix = '.history.ndjson';

async function writeAtomically(file: string, text: string): Promise<void> {
  const temporary = `${file}.${randomUUID()}.tmp`;
  await writeFile(temporary, text);
  await rename(temporary, file);
}

async function readIfExists(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function parseHistory(text: string): HistoryEvent[] {
  const events: HistoryEvent[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    try {
      events.push(JSON.parse(line) as HistoryEvent);
    } catch {
      break; // torn write: nothing after it was acknowledged
    }
  }
  return events;
}

export class ExecutionStore {
  private readonly executionsDir: string;

  private constructor(private readonly dataDir: string) {
    this.executionsDir = join(dataDir, 'executions');
  }

  static async open(dataDir: string): Promise<ExecutionStore> {
    const store = new ExecutionStore(dataDir);
    await mkdir(store.executionsDir, { recursive: true });
    return store;
  }

  async loadExecutions(): Promise<StoredExecution[]> {
    const stored: StoredExecution[] = [];
    for (const machineDir of await readdir(this.executionsDir)) {
      const dir = join(this.executionsDir, machineDir);
      for (const file of await readdir(dir)) {
        if (!file.endsWith(recordSuffix)) continue;
        const record = JSON.parse(await readFile(join(dir, file), 'utf8')) as ExecutionRecord;
        const history = await readIfExists(this.historyFile(record));
        stored.push({ record, history: history ? parseHistory(history) : [] });
      }
    }
    return stored;
  }

  async saveRecord(record: ExecutionRecord): Promise<void> {
    await mkdir(this.machineDir(record.stateMachineName), { recursive: true });
    await writeAtomically(this.recordFile(record), JSON.stringify(record));
  }

  async appendHistory(record: ExecutionRecord, events: HistoryEvent[]): Promise<void> {
    if (events.length === 0) return;
    await mkdir(this.machineDir(record.stateMachineName), { recursive: true });
    await appendFile(this.historyFile(record), events.map((event) => `${JSON.stringify(event)}\n`).join(''));
  }

  async loadStateMachines(): Promise<Record<string, StateMachineRecord>> {
    const text = await readIfExists(join(this.dataDir, 'state-machines.json'));
    return text ? (JSON.parse(text) as Record<string, StateMachineRecord>) : {};
  }

  async saveStateMachines(records: Record<string, StateMachineRecord>): Promise<void> {
    await writeAtomically(join(this.dataDir, 'state-machines.json'), JSON.stringify(records, null, 2));
  }

  private machineDir(stateMachineName: string): string {
    return join(this.executionsDir, encodeURIComponent(stateMachineName));
  }

  private recordFile(record: ExecutionRecord): string {
    return join(
      this.machineDir(record.stateMachineName),
      `${encodeURIComponent(record.name)}${recordSuffix}`,
    );
  }

  private historyFile(record: ExecutionRecord): string {
    return join(
      this.machineDir(record.stateMachineName),
      `${encodeURIComponent(record.name)}${historySuffix}`,
    );
  }
}
