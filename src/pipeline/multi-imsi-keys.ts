// The first pass of a file run: which IMEI keys show two or more IMSIs anywhere in the input. Both rules
// compare CDRs of one IMEI key with different IMSIs, so a key with a single IMSI can never be in a finding
// or a candidate: the second pass admits, counts and rejects its CDRs as usual but need not match them.
import { newInvalid, validateCdrBytes } from '../input/cdr-validate.js';
import { CdrCsvParser, type CdrFieldScanner } from '../input/cdr-csv.js';
import { readCdrChunks, type CdrInput } from '../input/cdr-files.js';
import { idHashBytes } from '../domain/identity.js';
import type { RepeatedIds } from './repeated-ids.js';

/**
 * Criteria that need two IMSIs on a key to fire (SPEC's two rules; shared_imei needs several). A criterion that
 * fires on one CDR (inconsistent_rat, unknown_tac) needs every key, so with one enabled nothing is filtered.
 */
const MULTI_IMSI_CRITERIA: ReadonlySet<string> = new Set(['simultaneity', 'time_distance', 'shared_imei']);

/** May a file run match only the keys with two or more IMSIs under this config (its `rules`, when it has them)? */
export function prefilterApplies(config: object): boolean {
  const rules = (config as { rules?: readonly string[] }).rules;
  return rules === undefined || rules.every((r) => MULTI_IMSI_CRITERIA.has(r));
}

const F_RECORD_ID = 0;
const F_IMEI = 2;
const F_IMSI = 3;

/** Record_id hashes a scanner notes at once (KeyImsiScanner.noteIds). */
const ID_BATCH = 4096;

/** imsiLen given to KeyImsiTable.note for "two or more IMSIs" (merge passes such keys on). */
const MULTI = 255;
const EMPTY = 0;
/** A slot's IMSI code of a key seen with two or more IMSIs. */
const MULTI_CODE = -1;
/** 10^n, for the IMSI codes. */
const POW10 = Array.from({ length: 16 }, (_, n) => 10 ** n);

/** Open-addressing slot of a numeric IMEI key (at most 14 digits, so above 2^32). */
function slotOf(key: number, mask: number): number {
  // No % on a number above 2^31: V8 computes that as a floating-point remainder, far slower than this.
  let h = (key >>> 0) ^ ((key / 4294967296) | 0);
  h = Math.imul(h ^ (h >>> 16), 0x45d9f3b);
  h = Math.imul(h ^ (h >>> 16), 0x45d9f3b);
  return (h ^ (h >>> 16)) & mask;
}

/** The columns of a KeyImsiTable, transferable between threads. */
export interface KeyImsiColumns {
  /** Per slot: IMEI key (0: empty), IMSI code. */
  slots: Float64Array;
  size: number;
}

/**
 * IMEI key -> the one IMSI seen on it, or "two or more". Keys are never 0 (an all-zero key is invalid),
 * so 0 marks an empty slot. A slot is two numbers side by side, the key and its IMSI's code (10^digits +
 * IMSI, exact below 2^53, so that "0716..." and "716..." differ; MULTI_CODE for several IMSIs): one cache
 * line per lookup where three arrays (key, IMSI, digit count) cost three misses a row on a day's table.
 */
export class KeyImsiTable {
  private slots: Float64Array;
  private mask: number;
  size = 0;

  constructor(capacity = 1 << 16, cols?: KeyImsiColumns) {
    if (cols) {
      this.slots = cols.slots;
      this.size = cols.size;
    } else {
      this.slots = new Float64Array(capacity * 2);
    }
    this.mask = this.slots.length / 2 - 1;
  }

  /** The index in `slots` of key, or of the empty slot where it would go. */
  private find(key: number): number {
    const slots = this.slots;
    const mask = this.mask;
    let i = slotOf(key, mask);
    for (;;) {
      const k = slots[2 * i];
      if (k === key || k === EMPTY) return 2 * i;
      i = (i + 1) & mask;
    }
  }

  /**
   * Pass 1's look at a row: a key not seen yet takes this IMSI at once (returns false); true when the IMSI is a
   * second one for a key of one IMSI so far (the caller validates the row before it notes it); false otherwise.
   */
  firstOrSecond(key: number, imsi: number, imsiLen: number): boolean {
    const i = this.find(key);
    const code = POW10[imsiLen] + imsi;
    if (this.slots[i] === EMPTY) {
      this.insertAt(i, key, code);
      return false;
    }
    const seen = this.slots[i + 1];
    return seen !== MULTI_CODE && seen !== code;
  }

  /** Record an IMSI (imsiLen MULTI: the key is known to have several). */
  note(key: number, imsi: number, imsiLen: number): void {
    this.noteCode(key, imsiLen === MULTI ? MULTI_CODE : POW10[imsiLen] + imsi);
  }

  private noteCode(key: number, code: number): void {
    const i = this.find(key);
    if (this.slots[i] === EMPTY) this.insertAt(i, key, code);
    else if (this.slots[i + 1] !== code) this.slots[i + 1] = MULTI_CODE;
  }

  /** Put a key that is not in the table at its empty slot `i` (from find), growing the table first when due. */
  private insertAt(i: number, key: number, code: number): void {
    if ((this.size + 1) * 2 > this.mask + 1) {
      this.grow();
      i = this.find(key);
    }
    this.slots[i] = key;
    this.slots[i + 1] = code;
    this.size++;
  }

  /** Fold another table (another thread's files) into this one. */
  merge(other: KeyImsiTable): void {
    const o = other.slots;
    for (let i = 0; i < o.length; i += 2) if (o[i] !== EMPTY) this.noteCode(o[i], o[i + 1]);
  }

  /** The keys seen with two or more IMSIs. */
  multiKeys(): KeySet {
    const set = new KeySet();
    const o = this.slots;
    for (let i = 0; i < o.length; i += 2) if (o[i] !== EMPTY && o[i + 1] === MULTI_CODE) set.add(o[i]);
    return set;
  }

  columns(): KeyImsiColumns {
    return { slots: this.slots, size: this.size };
  }

  private grow(): void {
    const old = this.slots;
    this.slots = new Float64Array(old.length * 2);
    this.mask = this.slots.length / 2 - 1;
    for (let j = 0; j < old.length; j += 2) {
      const key = old[j];
      if (key === EMPTY) continue;
      const i = this.find(key);
      this.slots[i] = key;
      this.slots[i + 1] = old[j + 1];
    }
  }
}

/**
 * What the main thread does with pass 1's tables (KeyImsiTable.merge, multiKeys, KeySet.add), on small tables,
 * several times: run once, on a day's tables, that code ran in V8's interpreter and baseline code (a 1M-row day:
 * merge 60-85 ms, multiKeys 14-20 ms, while the workers wait for the keys). Called while pass 1 runs.
 */
export function warmUpTableMerge(): void {
  for (let rep = 0; rep < 4; rep++) {
    const a = new KeyImsiTable(1 << 10);
    const b = new KeyImsiTable(1 << 10);
    for (let k = 1; k <= 3000; k++) {
      const key = 35693803560000 + k * 7919;
      a.note(key, 716100000000000 + k, 15);
      // Some keys in b only, some with another IMSI (multi), some with an IMSI of fewer digits.
      b.note(key + (k % 3 === 0 ? 1 : 0), 716100000000000 + (k % 5 === 0 ? k + 1 : k), k % 7 === 0 ? 14 : 15);
    }
    const t = new KeyImsiTable(0, a.columns());
    t.merge(new KeyImsiTable(0, b.columns()));
    t.multiKeys();
  }
}

/** A set of IMEI keys (open addressing over a Float64Array; small enough to stay in cache). */
export class KeySet {
  private keys: Float64Array;
  private mask: number;
  size = 0;

  /** An empty set, or the set whose slots another thread sent (`slots()`). */
  constructor(slots?: Float64Array) {
    this.keys = slots ?? new Float64Array(1 << 10);
    this.mask = this.keys.length - 1;
    if (slots) for (let i = 0; i < slots.length; i++) if (slots[i] !== EMPTY) this.size++;
  }

  /** The open-addressing slots (to rebuild the set in another thread). */
  slots(): Float64Array {
    return this.keys;
  }

  add(key: number): void {
    if ((this.size + 1) * 2 > this.keys.length) this.grow();
    let i = slotOf(key, this.mask);
    for (;;) {
      const k = this.keys[i];
      if (k === key) return;
      if (k === EMPTY) break;
      i = (i + 1) & this.mask;
    }
    this.keys[i] = key;
    this.size++;
  }

  has(key: number): boolean {
    const keys = this.keys;
    const mask = this.mask;
    let i = slotOf(key, mask);
    for (;;) {
      const k = keys[i];
      if (k === key) return true;
      if (k === EMPTY) return false;
      i = (i + 1) & mask;
    }
  }

  private grow(): void {
    const old = this.keys;
    this.keys = new Float64Array(old.length * 2);
    this.mask = this.keys.length - 1;
    this.size = 0;
    for (let i = 0; i < old.length; i++) if (old[i] !== EMPTY) this.add(old[i]);
  }
}

/**
 * A field scanner that notes (IMEI key, IMSI) of each row in `table`. Only what a row could contribute is
 * checked: a row whose IMEI or IMSI is malformed is skipped; a key's first IMSI is taken unchecked (most
 * rows of a file a worker reads first are a key's first, and validating them all cost ~40 % of pass 1), and a
 * second IMSI is validated in full first, so the invalid rows that carry a foreign IMSI (a trap in any feed)
 * do not make a key look multi, unless one is its key's very first row. A row invalid only by its time still counts: the future bound
 * depends on the wall clock, which moves between the passes. Counting too much is safe (a key matched for
 * nothing); counting too little would lose findings, so every doubt counts.
 */
export function keyImsiScanner(table: KeyImsiTable, tzOffsetMin: number, ids: RepeatedIds | null = null, idBatch = ID_BATCH): CdrFieldScanner {
  return new KeyImsiScanner(table, tzOffsetMin, ids, idBatch);
}

/** keyImsiScanner's scanner: a class, so that every scanner calls the same two functions (V8 inlines them once). */
class KeyImsiScanner implements CdrFieldScanner {
  readonly fields = [F_RECORD_ID, F_IMEI, F_IMSI];
  private readonly why = newInvalid();
  private key = 0;
  private imsi = 0;
  private imsiLen = 0;
  private readonly idHashes: Int32Array;
  private nIds = 0;

  constructor(
    private readonly table: KeyImsiTable,
    private readonly tzOffsetMin: number,
    private readonly ids: RepeatedIds | null,
    /** Record_id hashes put off at once (the workers' warm-up makes it small, to take that path too). */
    private readonly idBatch: number,
  ) {
    this.idHashes = new Int32Array(idBatch);
  }

  row(buf: Buffer, starts: Int32Array, ends: Int32Array): boolean {
    // Every row's record_id, valid or not: the validator reads the same bytes (Cdr.idHash). Noted in bit sets
    // of megabytes, in batches (see noteIds).
    if (this.ids !== null) {
      this.idHashes[this.nIds++] = idHashBytes(buf, starts[F_RECORD_ID], ends[F_RECORD_ID]);
      if (this.nIds === this.idBatch) this.noteIds();
    }
    let s = starts[F_IMEI];
    const imeiLen = ends[F_IMEI] - s;
    if (imeiLen < 14 || imeiLen > 16) return false;
    let key = 0;
    for (const e = s + 14; s < e; s++) {
      const c = buf[s] - 48;
      if (c < 0 || c > 9) return false;
      key = key * 10 + c;
    }
    s = starts[F_IMSI];
    const e = ends[F_IMSI];
    const imsiLen = e - s;
    if (imsiLen < 6 || imsiLen > 15) return false;
    let imsi = 0;
    for (; s < e; s++) {
      const c = buf[s] - 48;
      if (c < 0 || c > 9) return false;
      imsi = imsi * 10 + c;
    }
    this.key = key;
    this.imsi = imsi;
    this.imsiLen = imsiLen;
    // A new key takes its first IMSI unchecked; a second IMSI is validated in full first.
    return key !== 0 && this.table.firstOrSecond(key, imsi, imsiLen);
  }

  whole(buf: Buffer, starts: Int32Array, ends: Int32Array): void {
    if (validateCdrBytes(buf, starts, ends, this.tzOffsetMin, this.why) === null && this.why.reason !== 'invalid_time') return;
    this.table.note(this.key, this.imsi, this.imsiLen);
  }

  end(): void {
    this.noteIds();
  }

  /**
   * The record_id hashes put off. Each is a random read of a bit set too large for the cache: one per row
   * between the row's other work cost ~0.2 us of waiting on memory, where a loop of nothing else lets the
   * processor wait for many at once (measured ~4x less per row on this machine).
   */
  private noteIds(): void {
    const ids = this.ids!;
    const h = this.idHashes;
    for (let i = 0; i < this.nIds; i++) ids.note(h[i]);
    this.nIds = 0;
  }
}

/**
 * Pass 1 over some inputs: every (IMEI key, IMSI) seen, with the keys that have several marked; and, with
 * `ids`, which record_id hashes occur more than once.
 */
export async function scanKeyImsis(inputs: CdrInput[], tzOffsetMin: number, maxLineBytes: number, table = new KeyImsiTable(), ids: RepeatedIds | null = null): Promise<KeyImsiTable> {
  const scan = keyImsiScanner(table, tzOffsetMin, ids);
  const ignore = { record: () => undefined, reject: () => undefined };
  for (const input of inputs) {
    const parser = new CdrCsvParser(input.name, tzOffsetMin, ignore, maxLineBytes, scan);
    for await (const chunk of readCdrChunks(input)) parser.push(chunk);
    parser.end();
  }
  return table;
}
