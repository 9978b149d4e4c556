import type { ExemptionLookup } from '../domain/lookups.js';

/**
 * Art. 24-25 exemption of IMSIs on listed IMEIs. An IMSI is exempt on an IMEI when the list names the pair,
 * or when a CDR of that IMSI on that IMEI carried a listed MSISDN: so the MSISDNs seen with each IMSI of a
 * listed IMEI are remembered (only for listed IMEIs, so nothing is kept for the rest of the traffic).
 */
export class Exemptions {
  /** For IMEIs on the list: IMEI key -> IMSI -> MSISDN digits it was seen with. */
  private readonly seenMsisdns = new Map<string, Map<string, Set<string>>>();

  constructor(private list: ExemptionLookup) {}

  /** A reloaded list applies from now on; the MSISDNs seen so far are kept. */
  setList(list: ExemptionLookup): void {
    this.list = list;
  }

  /** Hot-path pre-check by numeric IMEI key: does this IMEI's MSISDN need remembering? */
  watches(key: number): boolean {
    return this.list.size > 0 && this.list.hasKeyNumber(key);
  }

  /** Remember that `imsi` was seen on `imeiKey` with these MSISDN digits. */
  noteMsisdn(imeiKey: string, imsi: string, msisdnDigits: string): void {
    let byImsi = this.seenMsisdns.get(imeiKey);
    if (!byImsi) this.seenMsisdns.set(imeiKey, (byImsi = new Map()));
    let set = byImsi.get(imsi);
    if (!set) byImsi.set(imsi, (set = new Set()));
    set.add(msisdnDigits);
  }

  /** An IMSI is exempt on an IMEI when it is listed with it, or a CDR of it carried a listed MSISDN. */
  isExemptImsi(imeiKey: string, imsi: string): boolean {
    const list = this.list;
    if (!list.hasKey(imeiKey)) return false;
    if (list.listsImsi(imeiKey, imsi)) return true;
    const msisdns = this.seenMsisdns.get(imeiKey)?.get(imsi);
    if (msisdns) for (const m of msisdns) if (list.isExempt(imeiKey, '', m)) return true;
    return false;
  }
}
