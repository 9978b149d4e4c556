/**
 * A ClickHouse SQL lexer, enough to guard `clonewatch sql`: it finds the statements, their first keyword,
 * an `INTO OUTFILE` and a trailing `FORMAT`, reading comments, string literals and quoted identifiers the
 * way ClickHouse's own lexer does, so nothing hidden in them can pass for code or the other way round:
 * nested block comments (`/* /* *\/ still a comment *\/`), `--` and `# ` line comments, `'...'` strings
 * with `\` escapes or doubled quotes, `"..."` and `` `...` `` identifiers, `$tag$...$tag$` heredocs.
 */

export interface SqlToken {
  kind: 'word' | 'string' | 'identifier' | 'number' | 'punct';
  /** The token's text (for a word: as typed). */
  text: string;
  start: number;
  end: number;
}

export interface SqlShape {
  /** Non-empty statements (a trailing ';' does not make a second one). */
  statements: number;
  /** First keyword of the first statement, upper-cased ('' when none). */
  keyword: string;
  /** The query ends in `FORMAT <name>`: the caller must not add its own. */
  format: string | null;
  /** `INTO OUTFILE` appears (as code, not in a string or comment): the query would write a file. */
  intoOutfile: boolean;
  /** The text without a trailing ';', trailing comments and surrounding blanks. */
  text: string;
  /** Why the text cannot be read as SQL (unterminated string or comment), or null. */
  error: string | null;
}

/** Statements that only read. Anything else needs --write. */
export const READ_KEYWORDS = new Set(['SELECT', 'WITH', 'SHOW', 'DESCRIBE', 'DESC', 'EXPLAIN', 'EXISTS']);

const WORD_START = /[A-Za-z_\u0080-\uffff]/;
const WORD_PART = /[A-Za-z0-9_$\u0080-\uffff]/;
const DIGIT = /[0-9]/;

/** Split `sql` into tokens; comments and blanks are dropped. Throws on an unterminated literal or comment. */
export function sqlTokens(sql: string): SqlToken[] {
  const tokens: SqlToken[] = [];
  const n = sql.length;
  let i = 0;
  while (i < n) {
    const c = sql[i];
    if (/\s/.test(c)) {
      i++;
    } else if ((c === '-' && sql[i + 1] === '-') || (c === '#' && (sql[i + 1] === ' ' || sql[i + 1] === '!'))) {
      const j = sql.indexOf('\n', i);
      i = j < 0 ? n : j + 1;
    } else if (c === '/' && sql[i + 1] === '*') {
      // ClickHouse nests block comments: each '/*' needs its own '*/'.
      let depth = 1;
      let j = i + 2;
      while (j < n && depth > 0) {
        if (sql[j] === '/' && sql[j + 1] === '*') {
          depth++;
          j += 2;
        } else if (sql[j] === '*' && sql[j + 1] === '/') {
          depth--;
          j += 2;
        } else j++;
      }
      if (depth > 0) throw new SyntaxError(`unterminated comment starting at position ${i + 1}`);
      i = j;
    } else if (c === "'" || c === '"' || c === '`') {
      let j = i + 1;
      for (;;) {
        if (j >= n) throw new SyntaxError(`unterminated ${c === "'" ? 'string' : 'quoted identifier'} starting at position ${i + 1}`);
        if (sql[j] === '\\') j += 2;
        else if (sql[j] === c && sql[j + 1] === c) j += 2;
        else if (sql[j] === c) break;
        else j++;
      }
      tokens.push({ kind: c === "'" ? 'string' : 'identifier', text: sql.slice(i, j + 1), start: i, end: j + 1 });
      i = j + 1;
    } else if (c === '$' && /^\$[A-Za-z0-9_]*\$/.test(sql.slice(i, i + 256))) {
      const tag = /^\$[A-Za-z0-9_]*\$/.exec(sql.slice(i, i + 256))![0];
      const close = sql.indexOf(tag, i + tag.length);
      if (close < 0) throw new SyntaxError(`unterminated ${tag} string starting at position ${i + 1}`);
      tokens.push({ kind: 'string', text: sql.slice(i, close + tag.length), start: i, end: close + tag.length });
      i = close + tag.length;
    } else if (WORD_START.test(c)) {
      let j = i + 1;
      while (j < n && WORD_PART.test(sql[j])) j++;
      tokens.push({ kind: 'word', text: sql.slice(i, j), start: i, end: j });
      i = j;
    } else if (DIGIT.test(c)) {
      let j = i + 1;
      while (j < n && /[0-9A-Za-z_.]/.test(sql[j])) j++;
      tokens.push({ kind: 'number', text: sql.slice(i, j), start: i, end: j });
      i = j;
    } else {
      tokens.push({ kind: 'punct', text: c, start: i, end: i + 1 });
      i++;
    }
  }
  return tokens;
}

const isWord = (t: SqlToken | undefined, w: string) => t !== undefined && t.kind === 'word' && t.text.toUpperCase() === w;

export function sqlShape(sql: string): SqlShape {
  let tokens: SqlToken[];
  try {
    tokens = sqlTokens(sql);
  } catch (err) {
    return { statements: 0, keyword: '', format: null, intoOutfile: false, text: sql.trim(), error: (err as Error).message };
  }
  let statements = 0;
  let inStatement = false;
  for (const t of tokens) {
    if (t.kind === 'punct' && t.text === ';') inStatement = false;
    else if (!inStatement) {
      inStatement = true;
      statements++;
    }
  }
  const first = tokens.find((t) => t.kind !== 'punct' || t.text !== '(');
  const keyword = first?.kind === 'word' ? first.text.toUpperCase() : '';
  const intoOutfile = tokens.some((t, k) => isWord(t, 'INTO') && isWord(tokens[k + 1], 'OUTFILE'));
  // The text ends with the last token that is not a trailing ';'.
  let last = tokens.length - 1;
  while (last >= 0 && tokens[last].kind === 'punct' && tokens[last].text === ';') last--;
  const end = last >= 0 ? tokens[last].end : 0;
  const format =
    last >= 1 && isWord(tokens[last - 1], 'FORMAT') && tokens[last].kind === 'word' ? tokens[last].text : null;
  return { statements, keyword, format, intoOutfile, text: sql.slice(0, end).trim(), error: null };
}

/**
 * Why `shape` may not run without `--write`, as one line naming the flag, or null when it only reads.
 * The server's `readonly=1` and chDB's are the other half of the guard (tables, settings, table functions);
 * this half refuses what `readonly` lets through on chDB (`INTO OUTFILE`) and says so before anything runs.
 */
export function readOnlyRefusal(shape: SqlShape): string | null {
  if (!READ_KEYWORDS.has(shape.keyword)) {
    return `${shape.keyword || 'this'} statements need --write: without it sql is read-only and runs only ${[...READ_KEYWORDS].join(', ')}`;
  }
  if (shape.intoOutfile) return 'INTO OUTFILE writes a file: sql is read-only without --write';
  return null;
}
