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
  /** Cut to MAX_REJECTION_ID_CHARS characters when longer; then `idTruncated` is true. */
  id: string | null;
  idTruncated?: true;
  /** At most MAX_REJECTION_REASON_CHARS characters; starts with the attribute it is about. */
  reason: string;
}
