/** One execution in memory: its record and history, written behind to the store in order. */
import type { EngineRun } from './engine';
import type { HistoryEvent, HistoryRecorder } from './history';
import type { ExecutionRecord, ExecutionStore } from './store';

export class Execution {
  readonly history: HistoryEvent[];
  engine?: EngineRun;
  recorder?: HistoryRecorder;
  timeout?: NodeJS.Timeout;

  private unsavedEvents: HistoryEvent[] = [];
  private recordUnsaved = false;
  private detached = false;
  private flushScheduled = false;
  private writes: Promise<void> = Promise.resolve();

  constructor(
    readonly record: ExecutionRecord,
    private readonly store: ExecutionStore,
    history: HistoryEvent[] = [],
    private readonly onWriteError: (error: unknown) => void = (error) => console.error(error),
  ) {
    this.history = history;
  }

  get lastEventId(): number {
    return this.history.at(-1)?.id ?? 0;
  }

  readonly append = (event: HistoryEvent): void => {
    if (this.detached) return;
    this.history.push(event);
    this.unsavedEvents.push(event);
    this.scheduleFlush();
  };

  update(changes: Partial<ExecutionRecord>): void {
    if (this.detached) return;
    Object.assign(this.record, changes);
    this.recordUnsaved = true;
    this.scheduleFlush();
  }

  /** Resolves once everything recorded so far is on disk. */
  flush(): Promise<void> {
    const events = this.unsavedEvents.splice(0);
    const record = this.recordUnsaved ? { ...this.record } : undefined;
    this.recordUnsaved = false;
    const write = this.writes.then(async () => {
      await this.store.appendHistory(this.record, events);
      if (record) await this.store.saveRecord(record);
    });
    this.writes = write.catch(this.onWriteError);
    return write;
  }

  /** Stops recording (the service is shutting down): the next process resumes from what is on disk. */
  detach(): Promise<void> {
    const flushed = this.flush().catch(() => undefined);
    this.detached = true;
    clearTimeout(this.timeout);
    this.engine?.abort();
    return flushed;
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      this.flush().catch(() => undefined); // reported through onWriteError
    });
  }
}
