/** A CloudEvent that passed the envelope checks, with its attributes (and extensions) as sent. */
export interface CloudEvent {
  specversion: '1.0';
  id: string;
  source: string;
  type: string;
  [attr: string]: unknown;
}

/** One event that was not ingested: its position in the submission, its id when it had one, and why. */
export interface Rejection {
  index: number;
  id: string | null;
  reason: string;
}
