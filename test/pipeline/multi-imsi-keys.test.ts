// Pass 1 of a file run: the IMEI keys with two or more IMSIs. Too many keys only cost matching time; a key
// missed would lose findings, so the table must never miss one.
import { describe, expect, it } from 'vitest';
import { CdrCsvParser } from '../../src/input/cdr-csv.js';
import { KeyImsiTable, KeySet, keyImsiScanner, prefilterApplies, warmUpTableMerge } from '../../src/pipeline/multi-imsi-keys.js';
import { RepeatedIds } from '../../src/pipeline/repeated-ids.js';
import { idHashString } from '../../src/domain/identity.js';

const HEADER = 'record_id,event_type,imei,imsi,msisdn,start_time,duration_s,radio,mcc,mnc,lac,ci';
const row = (id: string, imei: string, imsi: string, over: Partial<Record<'time' | 'dur' | 'radio', string>> = {}) =>
  `${id},voice_mo,${imei},${imsi},51987654321,${over.time ?? '2026-03-01T10:00:00Z'},${over.dur ?? '60'},${over.radio ?? 'LTE'},716,10,100,1`;

function scan(lines: string[]): KeySet {
  const table = new KeyImsiTable(4);
  const parser = new CdrCsvParser('t.csv', -300, { record: () => undefined, reject: () => undefined }, 1 << 20, keyImsiScanner(table, -300));
  parser.push(Buffer.from([HEADER, ...lines].join('\n') + '\n'));
  parser.end();
  return table.multiKeys();
}

describe('KeyImsiTable', () => {
  it('marks a key multi on its second distinct IMSI only', () => {
    const t = new KeyImsiTable(4);
    t.note(35693803564380, 716101234567890, 15);
    t.note(35693803564380, 716101234567890, 15);
    t.note(11111111111111, 716101234567890, 15);
    expect(t.multiKeys().has(35693803564380)).toBe(false);
    t.note(35693803564380, 716101234567891, 15);
    expect(t.multiKeys().has(35693803564380)).toBe(true);
    expect(t.multiKeys().has(11111111111111)).toBe(false);
  });

  it('tells IMSIs apart by digit count too (leading zeros)', () => {
    const t = new KeyImsiTable(4);
    t.note(35693803564380, 1234567, 7);
    t.note(35693803564380, 1234567, 8);
    expect(t.multiKeys().has(35693803564380)).toBe(true);
  });

  it('grows past its first capacity and merges tables of other threads', () => {
    const a = new KeyImsiTable(4);
    const b = new KeyImsiTable(4);
    for (let k = 1; k <= 5000; k++) {
      a.note(k * 1_000_003, 716100000000000 + k, 15);
      b.note(k * 1_000_003, 716100000000000 + (k % 3 === 0 ? k + 1 : k), 15);
    }
    b.note(99, 1234567, 7);
    a.merge(new KeyImsiTable(0, b.columns()));
    const multi = a.multiKeys();
    expect(multi.size).toBe(Math.floor(5000 / 3));
    for (let k = 1; k <= 5000; k++) expect(multi.has(k * 1_000_003)).toBe(k % 3 === 0);
    expect(multi.has(99)).toBe(false);
  });

  it('finds the same multi keys whichever table the others are folded into (the run keeps the largest as it came)', () => {
    const tables = () => {
      const t = [new KeyImsiTable(8), new KeyImsiTable(8), new KeyImsiTable(8)];
      for (let k = 1; k <= 4000; k++) {
        t[k % 3].note(k * 7919, 716100000000000 + k, 15);
        // The same key in another table: the same IMSI, another IMSI, or the same digits with one fewer.
        if (k % 4 === 0) t[(k + 1) % 3].note(k * 7919, 716100000000000 + k, 15);
        if (k % 10 === 0) t[(k + 2) % 3].note(k * 7919, 716100000000000 + k + 1, 15);
        if (k % 25 === 0) t[(k + 1) % 3].note(k * 7919, 16100000000000 + k, 14);
      }
      return t;
    };
    const keysOf = (set: ReturnType<KeyImsiTable['multiKeys']>) => Array.from({ length: 4000 }, (_, i) => (i + 1) * 7919).filter((k) => set.has(k));
    const fresh = new KeyImsiTable();
    for (const t of tables()) fresh.merge(t);
    const expected = keysOf(fresh.multiKeys());
    expect(expected.length).toBeGreaterThan(400);
    for (let base = 0; base < 3; base++) {
      const t = tables();
      const into = new KeyImsiTable(0, t[base].columns());
      for (let o = 0; o < 3; o++) if (o !== base) into.merge(new KeyImsiTable(0, t[o].columns()));
      expect(keysOf(into.multiKeys()), `into table ${base}`).toEqual(expected);
    }
    warmUpTableMerge();
    expect(keysOf(fresh.multiKeys())).toEqual(expected);
  });
});

describe('keyImsiScanner', () => {
  it('finds the keys with two IMSIs across IMEI spellings of one key', () => {
    const multi = scan([row('a', '356938035643809', '716101111111111'), row('b', '3569380356438012', '716102222222222'), row('c', '490154203237518', '716103333333333')]);
    expect(multi.has(35693803564380)).toBe(true);
    expect(multi.has(49015420323751)).toBe(false);
  });

  it('ignores a second IMSI on a row that is invalid for a reason the wall clock cannot change', () => {
    const multi = scan([
      row('a', '356938035643809', '716101111111111'),
      row('b', '356938035643809', '716102222222222', { dur: '-5' }),
      row('c', '356938035643809', '716102222222222', { radio: 'WCDMA' }),
      row('d', '356938035643809', '71610'),
    ]);
    expect(multi.has(35693803564380)).toBe(false);
  });

  it("takes a key's first IMSI unchecked (validating every key's first row cost ~40 % of pass 1): an invalid first row only makes its key matched for nothing", () => {
    const multi = scan([row('a', '356938035643809', '716102222222222', { dur: 'abc' }), row('b', '356938035643809', '716101111111111'), row('c', '356938035643809', '716101111111111')]);
    expect(multi.has(35693803564380)).toBe(true);
    // The second IMSI is still validated: after a valid first row, an invalid row's foreign IMSI is ignored.
    const later = scan([row('b', '356938035643809', '716101111111111'), row('a', '356938035643809', '716102222222222', { dur: 'abc' }), row('c', '356938035643809', '716101111111111')]);
    expect(later.has(35693803564380)).toBe(false);
  });

  it('still counts a row invalid only by its time (the future bound moves with the clock)', () => {
    const multi = scan([row('a', '356938035643809', '716101111111111'), row('b', '356938035643809', '716102222222222', { time: '2026-02-30T10:00:00Z' })]);
    expect(multi.has(35693803564380)).toBe(true);
  });

  it('reads the IMEI and IMSI of quoted rows, line ends inside quotes included', () => {
    const multi = scan([row('a', '356938035643809', '716101111111111'), `"b",voice_mo,"356938035643809","716102222222222",,"2026-03-01T10:00:00Z",60,LTE,716,10,100,1`]);
    expect(multi.has(35693803564380)).toBe(true);
  });
});

describe('prefilterApplies', () => {
  it('filters for the pair rules and shared_imei, not when a one-CDR criterion is enabled', () => {
    expect(prefilterApplies({})).toBe(true);
    expect(prefilterApplies({ rules: ['simultaneity', 'time_distance'] })).toBe(true);
    expect(prefilterApplies({ rules: ['simultaneity', 'time_distance', 'shared_imei'] })).toBe(true);
    expect(prefilterApplies({ rules: ['simultaneity', 'inconsistent_rat'] })).toBe(false);
    expect(prefilterApplies({ rules: ['unknown_tac'] })).toBe(false);
  });
});

describe('keyImsiScanner with record_id bit sets', () => {
  it('notes every row\'s record_id, the ones it puts off included: a repeat in the last rows is seen at the end', () => {
    // 10,000 rows (the scanner notes the hashes in batches of a few thousand); ids repeat near the start, across
    // a batch boundary and in the last rows, after the last full batch.
    const ids = RepeatedIds.create(1 << 20);
    const table = new KeyImsiTable(4);
    const parser = new CdrCsvParser('t.csv', -300, { record: () => undefined, reject: () => undefined }, 1 << 20, keyImsiScanner(table, -300, ids));
    const lines = Array.from({ length: 10_000 }, (_, i) => row(`id-${i}`, String(356938035643809 + i * 10), '716101111111111'));
    lines.push(row('id-3', '356938035643809', '716101111111111'), row('id-4100', '356938035643809', '716101111111111'), row('id-9999', '356938035643809', '716101111111111'));
    parser.push(Buffer.from([HEADER, ...lines].join('\n') + '\n'));
    parser.end();
    for (const id of ['id-3', 'id-4100', 'id-9999']) expect(ids.mayRepeat(idHashString(id)), id).toBe(true);
    let unique = 0;
    for (let i = 0; i < 10_000; i += 97) if (![3, 4100, 9999].includes(i) && !ids.mayRepeat(idHashString(`id-${i}`))) unique++;
    // Bits shared by chance are allowed (checked for nothing); nearly every unique id reads as unique.
    expect(unique).toBeGreaterThan(95);
  });
});

