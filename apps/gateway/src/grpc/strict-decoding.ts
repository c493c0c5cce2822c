import type { PackageDefinition } from '@grpc/proto-loader';
import type { Metadata } from '@grpc/grpc-js';

/**
 * protobufjs decodes leniently: a string with invalid UTF-8 becomes U+FFFD, a length that runs
 * past the end of the message is cut short. Both would let malformed input through to the
 * database (and make different byte strings the same user id). Requests are checked here; a
 * bad one is marked, and the call interceptor answers INVALID_ARGUMENT before any handler runs.
 */
export const MALFORMED = Symbol('malformed request');

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LENGTH_DELIMITED = 2;
const WIRE_FIXED32 = 5;

/** Walks the top-level fields of an encoded message; returns what is wrong with it, if anything. */
export function wireProblem(buffer: Uint8Array): string | undefined {
  let pos = 0;
  const varint = (): number | undefined => {
    let value = 0;
    for (let shift = 0; shift < 70; shift += 7) {
      if (pos >= buffer.length) return undefined;
      const byte = buffer[pos++];
      if (shift < 49) value += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return value;
    }
    return undefined;
  };
  while (pos < buffer.length) {
    const key = varint();
    if (key === undefined || key < 8) return 'malformed field key';
    switch (key % 8) {
      case WIRE_VARINT:
        if (varint() === undefined) return 'truncated varint';
        break;
      case WIRE_FIXED64:
        pos += 8;
        break;
      case WIRE_FIXED32:
        pos += 4;
        break;
      case WIRE_LENGTH_DELIMITED: {
        const length = varint();
        if (length === undefined || pos + length > buffer.length) return 'a field runs past the end of the message';
        pos += length;
        break;
      }
      default:
        return 'unsupported wire type';
    }
    if (pos > buffer.length) return 'truncated field';
  }
  return undefined;
}

/** Finds a string that did not decode as UTF-8 (protobufjs leaves U+FFFD in its place). */
export function stringProblem(value: unknown, depth = 0): string | undefined {
  if (depth > 8) return undefined;
  if (typeof value === 'string') return value.includes('\uFFFD') ? 'a string field is not valid UTF-8' : undefined;
  if (Array.isArray(value)) {
    for (const item of value) {
      const problem = stringProblem(item, depth + 1);
      if (problem) return problem;
    }
    return undefined;
  }
  if (value && typeof value === 'object' && !Buffer.isBuffer(value)) {
    for (const item of Object.values(value)) {
      const problem = stringProblem(item, depth + 1);
      if (problem) return problem;
    }
  }
  return undefined;
}

/** Wraps every request deserializer of the package so malformed requests are marked. */
export function useStrictRequestDecoding(definition: PackageDefinition): void {
  for (const service of Object.values(definition)) {
    if (typeof service !== 'object' || service === null || 'format' in service) continue;
    for (const method of Object.values(service as Record<string, { requestDeserialize?: (b: Buffer) => unknown }>)) {
      const original = method.requestDeserialize;
      if (typeof original !== 'function') continue;
      method.requestDeserialize = (buffer: Buffer) => {
        let message: Record<string | symbol, unknown>;
        try {
          message = original(buffer) as Record<string | symbol, unknown>;
        } catch {
          // grpc-js answers a throwing deserializer with INTERNAL; bytes that are no message are the caller's error.
          message = {};
          Object.defineProperty(message, MALFORMED, { value: 'the request is not a valid protobuf message', enumerable: false });
          return message;
        }
        const problem = wireProblem(buffer) ?? stringProblem(message);
        if (problem && message && typeof message === 'object') Object.defineProperty(message, MALFORMED, { value: problem, enumerable: false });
        return message;
      };
    }
  }
}

export function malformation(request: unknown): string | undefined {
  return request && typeof request === 'object' ? ((request as Record<symbol, unknown>)[MALFORMED] as string | undefined) : undefined;
}

/** Metadata beyond this is refused (grpc-js does not enforce a limit below HTTP/2's own). */
export const MAX_METADATA_BYTES = 16 * 1024;

export function metadataBytes(metadata: Metadata): number {
  let total = 0;
  for (const [key, values] of Object.entries(metadata.toJSON() as Record<string, (string | Buffer)[]>)) {
    for (const value of values) total += key.length + (typeof value === 'string' ? Buffer.byteLength(value) : value.length);
  }
  return total;
}
