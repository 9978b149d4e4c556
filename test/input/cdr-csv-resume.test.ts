// A parallel file run splits a file at the record starts its first pass noted and reads each range with a
// fresh parser: together the ranges must give exactly the rows, rejects and physical line numbers of one read.
import { describe, expect, it } from 'vitest';
import { CdrCsvParser } from '../../src/input/cdr-csv.js';

const HEADER = 'note,record_id,event_type,imei,imsi,msisdn,start_time,duration_s,radio,mcc,mnc,lac,ci';

/** A file with quoted fields holding commas, doubled quotes and line ends, CRLF and LF, blank and broken lines. */
function sample(seed: number, rows: number): Buffer {
  let x = seed;
  const rnd = (n: number) => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return x % n;
  };
  const lines: string[] = ['\ufeff' + HEADER];
  for (let i = 0; i < rows; i++) {
    const note = [`plain ${i}`, `"a, ""quoted"" note"`, `"two\nlines"`, `"three\r\nline\nnote"`, '', `"x"`][rnd(6)];
    const id = rnd(10) === 0 ? `"r${i}"` : `r${i}`;
    let line = `${note},${id},voice_mo,35693803564380${rnd(10)},71610${String(1000000000 + rnd(5)).padStart(10, '0')},,2026-03-01T10:${String(rnd(60)).padStart(2, '0')}:00Z,${rnd(100)},LTE,716,10,100,1`;
    const k = rnd(40);
    if (k === 0) line = 'free text';
    else if (k === 1) line = `"never closed,${line}`;
    else if (k === 2) line = '';
    else if (k === 3) line = `${line},extra`;
    lines.push(line);
  }
  return Buffer.from(lines.map((l, i) => l + (i % 3 === 0 ? '\r\n' : '\n')).join(''));
}

type Event = [string, number, string];

function readAll(buf: Buffer, chunk: number, splitBytes = 0) {
  const events: Event[] = [];
  const p: CdrCsvParser = new CdrCsvParser('f.csv', -300, {
    record: (c, line) => events.push(['cdr', line, `${c.recordId}|${p.currentRaw()}`]),
    reject: (reason, _d, line, raw) => events.push([reason, line, raw]),
  });
  if (splitBytes > 0) p.noteResumePoints(splitBytes);
  for (let i = 0; i < buf.length; i += chunk) p.push(buf.subarray(i, i + chunk));
  p.end();
  return { events, points: p.resumePoints(), rows: p.rows };
}

describe('CdrCsvParser resume points', () => {
  for (const [seed, splitBytes, chunk] of [
    [1, 300, 4096],
    [2, 97, 50],
    [3, 1000, 7],
    [4, 1, 1 << 16],
  ] as const) {
    it(`ranges between resume points read as one (seed ${seed}, every ${splitBytes} B, chunks of ${chunk} B)`, () => {
      const buf = sample(seed, 400);
      const whole = readAll(buf, 1 << 20);
      const noted = readAll(buf, chunk, splitBytes);
      expect(noted.events).toEqual(whole.events);
      expect(noted.points.length).toBeGreaterThan(3);
      const bounds = [0, ...noted.points.map((q) => q.offset), buf.length];
      const events: Event[] = [];
      let rows = 0;
      for (let k = 0; k + 1 < bounds.length; k++) {
        const p: CdrCsvParser = new CdrCsvParser('f.csv', -300, {
          record: (c, line) => events.push(['cdr', line, `${c.recordId}|${p.currentRaw()}`]),
          reject: (reason, _d, line, raw) => events.push([reason, line, raw]),
        });
        if (k > 0) p.resumeAt(noted.points[k - 1]);
        const part = buf.subarray(bounds[k], bounds[k + 1]);
        for (let i = 0; i < part.length; i += chunk) p.push(part.subarray(i, i + chunk));
        p.end();
        rows += p.rows;
      }
      expect(events).toEqual(whole.events);
      expect(rows).toBe(whole.rows);
    });
  }
});
