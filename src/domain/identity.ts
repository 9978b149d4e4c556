// Subscriber and device identities are digit strings of known length. The hot path keeps them as numbers
// (at most 15 digits, exact in a double) plus their digit count, so leading zeros survive; these functions
// give the text back for outputs.

/** MSISDN length flag: the number was written with a leading +. */
export const MSISDN_PLUS = 0x80;

export function digitsText(value: number, len: number): string {
  const t = String(value);
  return t.length >= len ? t : t.padStart(len, '0');
}

/** The 14-digit IMEI key. */
export function imeiKeyText(key: number): string {
  return digitsText(key, 14);
}

/** The IMEI as reported: key plus the check digit or IMEISV software version digits. */
export function imeiText(key: number, len: number, suffix: number): string {
  const k = imeiKeyText(key);
  return len === 14 ? k : k + digitsText(suffix, len - 14);
}

/** The MSISDN as received ('' when empty, + kept). */
export function msisdnText(value: number, lenFlags: number): string {
  if (lenFlags === 0) return '';
  const t = digitsText(value, lenFlags & ~MSISDN_PLUS);
  return lenFlags & MSISDN_PLUS ? '+' + t : t;
}

/** The MSISDN digits without + ('' when empty): exception lists compare these. */
export function msisdnDigitsText(value: number, lenFlags: number): string {
  return lenFlags === 0 ? '' : digitsText(value, lenFlags & ~MSISDN_PLUS);
}

/** Hash of a record_id's UTF-8 bytes [s, e), for the duplicate check (engine/id-set.ts); never 0 (0 marks an empty cell there). */
export function idHashBytes(b: Uint8Array, s: number, e: number): number {
  let h = 0x811c9dc5;
  for (let i = s; i < e; i++) h = Math.imul(h ^ b[i], 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x45d9f3b);
  h ^= h >>> 16;
  return h === 0 ? 1 : h;
}

/** The same hash from a string (UTF-8 encoded), for CDRs not built by the byte validator. */
export function idHashString(id: string): number {
  const b = Buffer.from(id, 'utf8');
  return idHashBytes(b, 0, b.length);
}
