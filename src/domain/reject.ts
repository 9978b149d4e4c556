import type { Reject, RejectReason } from './types.js';

/** SPEC Output 3: a reject keeps at most this much of its raw text. */
export const MAX_REJECT_RAW_BYTES = 64 * 1024;

/**
 * The text of bytes [start, end) of `buf` as a reject's raw text: the whole when it fits in 64 KiB, else
 * its first 64 KiB (cut on a UTF-8 character boundary). `bytes` is the whole length.
 */
export function rawFromBytes(buf: Buffer, start = 0, end = buf.length): { raw: string; bytes: number } {
  const bytes = end - start;
  if (bytes <= MAX_REJECT_RAW_BYTES) return { raw: buf.toString('utf8', start, end), bytes };
  let cut = start + MAX_REJECT_RAW_BYTES;
  // Back off over continuation bytes so the cut does not split a character.
  while (cut > start && (buf[cut] & 0xc0) === 0x80) cut--;
  return { raw: buf.toString('utf8', start, cut), bytes };
}

/** The detail, with a note when the raw text was cut. */
export function cutNote(detail: string, bytes: number): string {
  return bytes > MAX_REJECT_RAW_BYTES ? `${detail} (raw text cut at ${MAX_REJECT_RAW_BYTES} of ${bytes} bytes)` : detail;
}

/** A reject whose raw text is at most 64 KiB; a longer one is cut there and the detail says so. */
export function makeReject(source: string, line: number | null, reason: RejectReason, detail: string, raw: string | Buffer): Reject {
  if (typeof raw === 'string') {
    // A UTF-16 length within the bound is within it in UTF-8 too only for ASCII: measure when it could matter.
    if (raw.length <= MAX_REJECT_RAW_BYTES / 3 || Buffer.byteLength(raw, 'utf8') <= MAX_REJECT_RAW_BYTES) {
      return { source, line, reason, detail, raw };
    }
    raw = Buffer.from(raw, 'utf8');
  }
  const r = rawFromBytes(raw);
  return { source, line, reason, detail: cutNote(detail, r.bytes), raw: r.raw };
}

/** `r` with its raw text cut to 64 KiB (catalogue and exception-list rejects come whole from their reader). */
export function boundReject(r: Reject): Reject {
  return makeReject(r.source, r.line, r.reason, r.detail, r.raw);
}
