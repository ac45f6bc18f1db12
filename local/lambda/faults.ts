/**
 * Fault injection for Lambda, the local counterpart of AWS Fault Injection Service's Lambda actions: the next
 * `times` invocations of a function fail with the given error without running it.
 */
import { LambdaInvokeError } from './errors';

export interface Fault<Name extends string = string> {
  function: Name;
  errorType: string;
  errorMessage?: string;
  times: number;
}

export class FaultInjector<Name extends string = string> {
  private readonly pending: Fault<Name>[] = [];

  inject(fault: Fault<Name>): void {
    if (!Number.isInteger(fault.times) || fault.times < 1)
      throw new Error('times must be a positive integer');
    this.pending.push({ ...fault });
  }

  clear(): void {
    this.pending.length = 0;
  }

  /** The error the next invocation of `name` must fail with, if a fault is armed for it (consumes one). */
  take(name: string): LambdaInvokeError | undefined {
    const fault = this.pending.find((candidate) => candidate.function === name);
    if (!fault) return undefined;
    fault.times -= 1;
    if (fault.times === 0) this.pending.splice(this.pending.indexOf(fault), 1);
    return new LambdaInvokeError(fault.errorType, fault.errorMessage ?? `Injected fault: ${fault.errorType}`);
  }
}
