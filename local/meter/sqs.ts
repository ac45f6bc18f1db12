/**
 * SQS requests as SQS bills them: each 64 KB chunk of a request's payload is one request. The payload of a send
 * is its messages' bodies and attributes (not the protocol's JSON escaping around them); of a receive, the
 * messages it returns. Only sends and receives are parsed; every other call is one request.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Meter } from './meter';
import { sqsRequestUnits } from './units';

interface WireMessage {
  MessageBody?: string;
  Body?: string;
  MessageAttributes?: Record<string, { DataType?: string; StringValue?: string; BinaryValue?: string }>;
}

/** A message's billed payload: its body plus each attribute's name, type and value. */
export function messagePayloadBytes(message: WireMessage): number {
  let bytes = Buffer.byteLength(message.MessageBody ?? message.Body ?? '');
  for (const [name, value] of Object.entries(message.MessageAttributes ?? {})) {
    bytes += Buffer.byteLength(name) + Buffer.byteLength(value.DataType ?? '');
    bytes +=
      Buffer.byteLength(value.StringValue ?? '') + Buffer.byteLength(value.BinaryValue ?? '', 'base64');
  }
  return bytes;
}

const payloadOf = (operation: string, text: string): number => {
  try {
    const body = JSON.parse(text) as { Entries?: WireMessage[]; Messages?: WireMessage[] } & WireMessage;
    if (operation === 'SendMessage') return messagePayloadBytes(body);
    const messages = body.Entries ?? body.Messages ?? [];
    return messages.reduce((sum, message) => sum + messagePayloadBytes(message), 0);
  } catch {
    return Buffer.byteLength(text);
  }
};

export function meterSqs(server: Server, meter: Meter): void {
  server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
    const target = String(req.headers['x-amz-target'] ?? '');
    const operation = target.startsWith('AmazonSQS.') ? target.slice('AmazonSQS.'.length) : 'QueryProtocol';
    if (operation === 'SendMessage' || operation === 'SendMessageBatch') {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () =>
        meter.count(
          'sqs',
          operation,
          sqsRequestUnits(payloadOf(operation, Buffer.concat(chunks).toString())),
        ),
      );
    } else if (operation === 'ReceiveMessage') {
      const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
      res.end = ((...args: unknown[]) => {
        const [chunk] = args;
        const text = typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString() : '';
        const payload = text ? payloadOf(operation, text) : 0;
        meter.count('sqs', payload > 0 ? operation : 'ReceiveMessage (empty)', sqsRequestUnits(payload));
        return end(...args);
      }) as ServerResponse['end'];
    } else meter.count('sqs', operation);
  });
}
