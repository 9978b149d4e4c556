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
