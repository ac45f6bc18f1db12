/** Reads a child process's meter counts over its IPC channel (`{type:'meter'}` messages, see meter.ts). */
import type { ChildProcess } from 'node:child_process';
import type { ChildCounts } from './meter';

/** `read(reset)` resolves with what the child sent, or `empty` when it is gone or does not answer in time. */
export function childMeterSource<T = ChildCounts>(
  child: ChildProcess,
  empty: T = { requests: {} } as T,
  timeoutMs = 10_000,
): { read(reset: boolean): Promise<T> } {
  let lastId = 0;
  return {
    read(reset) {
      if (!child.connected) return Promise.resolve(empty);
      const id = ++lastId;
      return new Promise((resolve) => {
        const done = (counts: T) => {
          clearTimeout(timer);
          child.off('message', onMessage);
          resolve(counts);
        };
        const onMessage = (message: { type?: string; id?: number; counts?: T }) => {
          if (message?.type === 'meter' && message.id === id) done(message.counts ?? empty);
        };
        const timer = setTimeout(() => done(empty), timeoutMs);
        child.on('message', onMessage);
        child.send({ type: 'meter', id, reset });
      });
    },
  };
}
