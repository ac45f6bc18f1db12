/**
 * NDJSON bytes → one line per event candidate, split at the byte level so no line is ever held whole past
 * `maxEventBytes`: the rest of a longer line is skipped up to its newline and the line becomes a pre-rejected
 * line (shared/pipeline/lines.ts). Each line is decoded on its own, strictly, so invalid UTF-8 rejects that line
 * instead of turning into U+FFFD. LF or CRLF; a last line without a newline counts, a final newline adds no line.
 */
import { rejectedLine } from './lines';

const LF = 0x0a;
const CR = 0x0d;
const PRE_REJECTED_START = '!';

export const tooLargeReason = (maxEventBytes: number): string =>
  `event: larger than ${maxEventBytes} bytes serialized`;
export const INVALID_UTF8_REASON = 'event: not valid UTF-8';

/** `fatal` so invalid bytes throw; `ignoreBOM` so a U+FEFF starting a line stays (and fails JSON as before). */
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** A complete line's bytes (without LF or CRLF) → the chunk line: the text, or a pre-rejected line. */
function lineText(bytes: Buffer): string {
  let text: string;
  try {
    text = strictUtf8.decode(bytes);
  } catch {
    return rejectedLine(INVALID_UTF8_REASON);
  }
  // `!` starts pre-rejected lines; a source line starting with it is invalid JSON, and must not forge a reason.
  if (text.startsWith(PRE_REJECTED_START)) return rejectedLine(notJsonReason(text));
  return text;
}

function notJsonReason(text: string): string {
  try {
    JSON.parse(text);
  } catch (error) {
    return `event: not valid JSON (${(error as Error).message})`;
  }
  return 'event: not valid JSON';
}

export async function* ndjsonLines(
  body: AsyncIterable<Buffer>,
  { maxEventBytes }: { maxEventBytes: number },
): AsyncGenerator<string> {
  // One byte more than the limit may be held: a CR that ends the line does not count.
  const holdAtMost = maxEventBytes + 1;
  let held: Buffer[] = [];
  let heldBytes = 0;
  let tooLarge = false;
  let pending = false; // bytes seen since the last LF

  const take = (piece: Buffer) => {
    if (piece.length === 0) return;
    pending = true;
    if (tooLarge) return;
    heldBytes += piece.length;
    if (heldBytes > holdAtMost) {
      tooLarge = true;
      held = [];
    } else {
      held.push(piece);
    }
  };
  const finish = (): string => {
    let line: string;
    if (tooLarge) {
      line = rejectedLine(tooLargeReason(maxEventBytes));
    } else {
      const bytes = held.length === 1 ? held[0]! : Buffer.concat(held, heldBytes);
      const end = bytes.length > 0 && bytes[bytes.length - 1] === CR ? bytes.length - 1 : bytes.length;
      line =
        end > maxEventBytes ? rejectedLine(tooLargeReason(maxEventBytes)) : lineText(bytes.subarray(0, end));
    }
    held = [];
    heldBytes = 0;
    tooLarge = false;
    pending = false;
    return line;
  };

  for await (const chunk of body) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
    let from = 0;
    for (let lf = buffer.indexOf(LF, from); lf !== -1; lf = buffer.indexOf(LF, from)) {
      take(buffer.subarray(from, lf));
      pending = true;
      yield finish();
      from = lf + 1;
    }
    take(buffer.subarray(from));
  }
  if (pending) yield finish();
}
