import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { loadTacDatabase, radioBit, radioNames } from '../../src/input/tac-db.js';
import { InputError } from '../../src/domain/errors.js';
import { tacDbCsv } from '../../bench/src/tac-models.js';

const dir = mkdtempSync(join(tmpdir(), 'clonewatch-tac-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, content: string | Buffer) => {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
};

describe('TAC database', () => {
  it('reads models with their radios, looked up by IMEI key', async () => {
    const p = file('tac.csv', 'tac,manufacturer,model,radios\n35200201,"Inka, S.A.",Qhapaq 3G,GSM|UMTS\n35300301,X,Y,gsm|umts|lte|nr\n');
    const { db, rejects } = await loadTacDatabase(p);
    expect(rejects).toEqual([]);
    expect(db.size).toBe(2);
    const m = db.modelOfKey(35200201123456);
    expect(m).toEqual({ manufacturer: 'Inka, S.A.', model: 'Qhapaq 3G', radios: radioBit('GSM') | radioBit('UMTS') });
    expect(radioNames(m!.radios)).toBe('GSM|UMTS');
    expect(radioNames(db.modelOfKey(35300301000001)!.radios)).toBe('GSM|UMTS|LTE|NR');
    expect(db.modelOfKey(99000017000001)).toBeUndefined();
  });

  it('rejects bad rows as invalid_tac with their line and keeps the rest', async () => {
    const p = file('bad.csv', ['tac,manufacturer,model,radios', '3520020,A,B,GSM', '35200202,A,B,WCDMA', '35200203,A,B,', '35200204,A,B,LTE', '35200205,A'].join('\n') + '\n');
    const { db, rejects } = await loadTacDatabase(p);
    expect(rejects.map((r) => [r.line, r.reason])).toEqual([
      [2, 'invalid_tac'],
      [3, 'invalid_tac'],
      [4, 'invalid_tac'],
      [6, 'invalid_tac'],
    ]);
    expect(rejects[0].detail).toContain('8 digits');
    expect(db.size).toBe(1);
  });

  it('recognises gzip by its magic bytes, whatever the name', async () => {
    const p = file('tacs.bin', gzipSync('tac,manufacturer,model,radios\n35100101,A,B,GSM\n'));
    const { db } = await loadTacDatabase(p);
    expect(db.size).toBe(1);
  });

  it('refuses a file without the needed header with an InputError', async () => {
    const p = file('nohdr.csv', 'tac,model\n35100101,B\n');
    await expect(loadTacDatabase(p)).rejects.toBeInstanceOf(InputError);
    await expect(loadTacDatabase(join(dir, 'missing.csv'))).rejects.toBeInstanceOf(InputError);
  });

  it('fixtures/tac-db.csv is what the bench generator writes', () => {
    expect(readFileSync(join(__dirname, '../../fixtures/tac-db.csv'), 'utf8')).toBe(tacDbCsv());
  });
});
