/**
 * RFC 4180 records from text chunks, tolerant like the `detect` reader: a quote that never closes (or a
 * multi-line quoted record of the wrong width) makes only its physical line a broken record, and reading
 * goes on with the next line. Used by `replay`, which forwards each row's text values as they are.
 */
export type CsvRecord = { fields: string[]; raw: string; broken: false } | { fields: null; raw: string; broken: true };

const MAX_QUOTED_RECORD_CHARS = 1 << 20;

export class CsvRecordSplitter {
  private carry = '';
  private first = true;
  /** Number of fields of the header, once read (records of another width are left to the caller). */
  width = -1;

  /** Records complete in what was pushed so far (`final` = no more text will come). */
  *push(chunk: string, final = false): Generator<CsvRecord> {
    let text = this.carry + chunk;
    this.carry = '';
    if (this.first && text.length > 0) {
      this.first = false;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    let pos = 0;
    while (pos < text.length) {
      let nl = text.indexOf('\n', pos);
      if (nl < 0) {
        if (!final) break;
        nl = text.length;
      }
      let lineEnd = nl;
      if (lineEnd > pos && text.charCodeAt(lineEnd - 1) === 13) lineEnd--;
      if (lineEnd === pos) {
        pos = nl + 1;
        continue;
      }
      const line = text.slice(pos, lineEnd);
      if (!/(^|,)"/.test(line)) {
        pos = nl + 1;
        yield this.accept({ fields: line.split(','), raw: line, broken: false });
        continue;
      }
      const r = quoted(text, pos, final);
      if (r === 'more') break;
      if (r === 'broken' || (r.newlines > 0 && this.width >= 0 && r.fields.length !== this.width)) {
        pos = nl + 1;
        yield { fields: null, raw: line, broken: true };
        continue;
      }
      pos = r.next;
      yield this.accept({ fields: r.fields, raw: text.slice(r.start, r.end), broken: false });
    }
    this.carry = text.slice(pos);
  }

  private accept(r: CsvRecord & { broken: false }): CsvRecord {
    if (this.width < 0) this.width = r.fields.length;
    return r;
  }
}

function quoted(text: string, start: number, final: boolean): { fields: string[]; start: number; end: number; next: number; newlines: number } | 'more' | 'broken' {
  const fields: string[] = [];
  const len = text.length;
  let i = start;
  let newlines = 0;
  for (;;) {
    if (i < len && text.charCodeAt(i) === 34) {
      let value = '';
      let seg = i + 1;
      i++;
      for (;;) {
        if (i - start > MAX_QUOTED_RECORD_CHARS) return 'broken';
        if (i >= len) return final ? 'broken' : 'more';
        const c = text.charCodeAt(i);
        if (c === 34) {
          if (i + 1 < len && text.charCodeAt(i + 1) === 34) {
            value += text.slice(seg, i + 1);
            i += 2;
            seg = i;
            continue;
          }
          if (i + 1 >= len && !final) return 'more';
          value += text.slice(seg, i);
          i++;
          break;
        }
        if (c === 10) newlines++;
        i++;
      }
      fields.push(value);
      if (i >= len) return { fields, start, end: len, next: len, newlines };
      const c = text.charCodeAt(i);
      if (c === 44) {
        i++;
        continue;
      }
      if (c === 10) return { fields, start, end: i, next: i + 1, newlines };
      if (c === 13 && (i + 1 >= len || text.charCodeAt(i + 1) === 10)) {
        if (i + 1 >= len && !final) return 'more';
        return { fields, start, end: i, next: Math.min(i + 2, len), newlines };
      }
      return 'broken';
    }
    let j = i;
    while (j < len && text.charCodeAt(j) !== 44 && text.charCodeAt(j) !== 10) j++;
    if (j >= len && !final) return 'more';
    let fe = j;
    if (fe > i && text.charCodeAt(fe - 1) === 13 && (j >= len || text.charCodeAt(j) === 10)) fe--;
    fields.push(text.slice(i, fe));
    if (j >= len) return { fields, start, end: fe, next: len, newlines };
    if (text.charCodeAt(j) === 10) return { fields, start, end: fe, next: j + 1, newlines };
    i = j + 1;
  }
}
