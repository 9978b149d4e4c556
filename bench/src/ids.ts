// Identities: IMEI keys (TAC + serial), IMSIs and MSISDNs, unique per (device index, role).

/** Realistic 8-digit TACs (type allocation codes); the first list for primary IMEIs, the second for second SIM slots. */
export const TACS_PRIMARY = ['35209900', '35332510', '35846110', '86891203', '35467211', '35928106', '86769504', '35290611', '35405910', '86412005', '35161610', '35875711', '86058306', '35698107', '35330711', '86446803'];
export const TACS_SECOND = ['35209901', '35332511', '35846111', '86891204', '35467212', '35928107', '86769505', '35290612', '35405911', '86412006', '35161611', '35875712', '86058307', '35698108', '35330712', '86446804'];
/** TACs for throw-away identities (foreign IMSIs' devices, late and invalid rows). */
export const TACS_OTHER = ['01234500', '01234501', '01234502', '01234503'];

const pad = (n: number, w: number): string => String(n).padStart(w, '0');

/** 14-digit IMEI key of device `i` (unique for i < 16e6 per list). */
export function imeiKey(i: number, list: 'primary' | 'second' | 'other' = 'primary'): string {
  const tacs = list === 'primary' ? TACS_PRIMARY : list === 'second' ? TACS_SECOND : TACS_OTHER;
  return tacs[i % tacs.length] + pad(Math.floor(i / tacs.length) % 1000000, 6);
}

/** Luhn check digit of a 14-digit IMEI body. */
export function luhn(body: string): string {
  let sum = 0;
  for (let k = 0; k < 14; k++) {
    let d = body.charCodeAt(k) - 48;
    if (k % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return String((10 - (sum % 10)) % 10);
}

/** How a device reports its IMEI: 15 digits with the Luhn digit, 15 with 0, or a 16-digit IMEISV. */
export function reported(key: string, style: 'luhn' | 'zero' | 'sv', sv = 1): string {
  if (style === 'luhn') return key + luhn(key);
  if (style === 'zero') return key + '0';
  return key + pad(sv % 100, 2);
}

const IMSI_MNC = ['06', '10', '17', '07'];

/** 15-digit IMSI of (device i, role r); roles 0-8 are subscribers, 9 is the foreign IMSI of trap rows. */
export function imsi(i: number, role: number, mncIdx = 0): string {
  return '716' + IMSI_MNC[mncIdx % 4] + pad(role * 1e9 + (i % 1e9), 10);
}

/** Peruvian mobile number 519xxxxxxxx of (device i, role r). */
export function msisdnDigits(i: number, role: number): string {
  return '519' + pad((role * 20000000 + i) % 100000000, 8);
}
