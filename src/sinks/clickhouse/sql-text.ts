/**
 * Just enough SQL lexing to guard `clonewatch sql`: count statements and find the first keyword, with
 * string literals, quoted identifiers and comments skipped (a ';' inside a string is not a statement end).
 */

export interface SqlShape {
  /** Non-empty statements (a trailing ';' does not make a second one). */
  statements: number;
  /** First keyword of the first statement, upper-cased ('' when none). */
  keyword: string;
  /** The query ends in `FORMAT <name>`: the caller must not add its own. */
  format: string | null;
  /** The text without a trailing ';' and surrounding blanks. */
  text: string;
}

/** Statements that only read. Anything else needs --write. */
export const READ_KEYWORDS = new Set(['SELECT', 'WITH', 'SHOW', 'DESCRIBE', 'DESC', 'EXPLAIN', 'EXISTS']);

export function sqlShape(sql: string): SqlShape {
  // `code` is the query with every literal, identifier in quotes and comment blanked out.
  let code = '';
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const c = sql[i];
    if (c === "'" || c === '"' || c === '`') {
      let j = i + 1;
      while (j < n) {
        if (sql[j] === '\\') j += 2;
        else if (sql[j] === c && sql[j + 1] === c) j += 2;
        else if (sql[j] === c) break;
        else j++;
      }
      code += ' '.repeat(Math.min(j, n - 1) - i + 1);
      i = j + 1;
    } else if (c === '-' && sql[i + 1] === '-') {
      const j = sql.indexOf('\n', i);
      const end = j < 0 ? n : j;
      code += ' '.repeat(end - i);
      i = end;
    } else if (c === '/' && sql[i + 1] === '*') {
      const j = sql.indexOf('*/', i + 2);
      const end = j < 0 ? n : j + 2;
      code += ' '.repeat(end - i);
      i = end;
    } else {
      code += c;
      i++;
    }
  }
  const parts = code.split(';');
  const statements = parts.filter((p) => p.trim() !== '').length;
  const keyword = (/[A-Za-z]+/.exec(code)?.[0] ?? '').toUpperCase();
  const format = /\bFORMAT\s+([A-Za-z]+)\s*;?\s*$/i.exec(code)?.[1] ?? null;
  // Cut the text at the end of the last statement (drops a trailing ';' and trailing comments).
  let end = code.length;
  while (end > 0 && (code[end - 1] === ';' || /\s/.test(code[end - 1]))) end--;
  return { statements, keyword, format, text: sql.slice(0, end).trim() };
}
