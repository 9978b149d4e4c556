import { statSync, unwatchFile, watchFile, type Stats } from 'node:fs';
import type { RuleConfig } from '../config/schema.js';
import type { Reject } from '../domain/types.js';
import { CellCatalogue, loadCellCatalogue } from '../input/cell-catalogue.js';
import { ExceptionList, loadExceptionList } from '../input/exception-list.js';
import { TacDatabase, loadTacDatabase } from '../input/tac-db.js';
import type { Logger } from '../ops/log.js';

export type RefKind = 'cells' | 'exceptions' | 'tacs';

export interface RefListener {
  cells(c: CellCatalogue, rejects: Reject[]): void;
  exceptions(e: ExceptionList, rejects: Reject[]): void;
  /** A reloaded TAC database (inconsistent_rat, unknown_tac). */
  tacs?(t: TacDatabase, rejects: Reject[]): void;
  /** A reload attempt ended (for metrics). */
  outcome?(kind: RefKind, ok: boolean): void;
}

/**
 * The cell catalogue and the exception list of a running job. The regulation wants both to follow every
 * change (the list is refreshed daily), so the files are polled (which also sees a file replaced by a
 * rename) and reloaded on SIGHUP. A new file that cannot be read, or that yields nothing where the old one
 * had data, is refused: the old data stays in force and the log says why.
 */
export class ReferenceData {
  cells: CellCatalogue = CellCatalogue.empty();
  exceptions: ExceptionList = ExceptionList.empty();
  tacs: TacDatabase = TacDatabase.empty();
  private readonly watched: string[] = [];
  private readonly loading = new Map<RefKind, Promise<boolean>>();
  private readonly again = new Set<RefKind>();

  constructor(
    private readonly paths: { cells?: string; exceptions?: string; tacs?: string },
    private readonly rules: RuleConfig,
    private readonly log: Logger,
    private listener: RefListener | null = null,
  ) {}

  setListener(l: RefListener): void {
    this.listener = l;
  }

  /** First load: a failure here is fatal (the caller turns it into a one-line error). */
  async loadInitial(): Promise<Reject[]> {
    const rejects: Reject[] = [];
    if (this.paths.cells) {
      const r = await loadCellCatalogue(this.paths.cells, this.rules);
      for (const w of r.warnings) this.log.warn(w, { path: this.paths.cells });
      this.cells = r.catalogue;
      rejects.push(...r.rejects);
    }
    if (this.paths.exceptions) {
      const r = await loadExceptionList(this.paths.exceptions);
      this.exceptions = r.list;
      rejects.push(...r.rejects);
    }
    if (this.paths.tacs) {
      const r = await loadTacDatabase(this.paths.tacs);
      this.tacs = r.db;
      rejects.push(...r.rejects);
    }
    this.log.info('reference data loaded', { cells: this.cells.size, exceptionEntries: this.exceptions.size, tacModels: this.tacs.size, rejects: rejects.length });
    return rejects;
  }

  /** Poll the files every `intervalMs`. */
  watch(intervalMs: number): void {
    for (const kind of ['cells', 'exceptions', 'tacs'] as const) {
      const path = this.paths[kind];
      if (!path) continue;
      watchFile(path, { interval: intervalMs, persistent: false }, (cur: Stats, prev: Stats) => {
        if (cur.mtimeMs === prev.mtimeMs && cur.size === prev.size && cur.ino === prev.ino) return;
        if (cur.nlink === 0 && cur.size === 0) return; // removed (or mid-replace): keep the old data until it is back
        void this.reload(kind, 'file changed');
      });
      this.watched.push(path);
    }
  }

  /** Reload one or both (SIGHUP). Resolves true when new data is in force. */
  async reload(kind: RefKind | 'all', why: string): Promise<boolean> {
    if (kind === 'all') {
      const r = await Promise.all((['cells', 'exceptions', 'tacs'] as const).filter((k) => this.paths[k]).map((k) => this.reload(k, why)));
      return r.every(Boolean);
    }
    const running = this.loading.get(kind);
    if (running) {
      // A change during a load: load once more after it, so the newest file wins.
      this.again.add(kind);
      return running;
    }
    const p = this.load(kind, why).finally(() => {
      this.loading.delete(kind);
      if (this.again.delete(kind)) void this.reload(kind, why);
    });
    this.loading.set(kind, p);
    return p;
  }

  private async load(kind: RefKind, why: string): Promise<boolean> {
    const path = this.paths[kind]!;
    let ok = false;
    try {
      if (statSync(path).size === 0) throw new Error('the file is empty');
      if (kind === 'cells') {
        const r = await loadCellCatalogue(path, this.rules);
        if (r.catalogue.size === 0 && this.cells.size > 0) throw new Error(`no usable cell in the new file (${r.rejects.length} rows rejected)`);
        for (const w of r.warnings) this.log.warn(w, { path });
        this.cells = r.catalogue;
        this.listener?.cells(r.catalogue, r.rejects);
        this.log.info('cell catalogue reloaded', { path, why, cells: r.catalogue.size, rejects: r.rejects.length });
      } else if (kind === 'tacs') {
        const r = await loadTacDatabase(path);
        if (r.db.size === 0 && this.tacs.size > 0) throw new Error(`no usable TAC in the new file (${r.rejects.length} rows rejected)`);
        this.tacs = r.db;
        this.listener?.tacs?.(r.db, r.rejects);
        this.log.info('TAC database reloaded', { path, why, models: r.db.size, rejects: r.rejects.length });
      } else {
        const r = await loadExceptionList(path);
        if (r.list.size === 0 && this.exceptions.size > 0) throw new Error(`no usable entry in the new file (${r.rejects.length} rows rejected)`);
        this.exceptions = r.list;
        this.listener?.exceptions(r.list, r.rejects);
        this.log.info('exception list reloaded', { path, why, entries: r.list.size, rejects: r.rejects.length });
      }
      ok = true;
    } catch (err) {
      const kept = kind === 'cells' ? `${this.cells.size} cells` : kind === 'tacs' ? `${this.tacs.size} TAC models` : `${this.exceptions.size} exception entries`;
      const what = kind === 'cells' ? 'cell catalogue' : kind === 'tacs' ? 'TAC database' : 'exception list';
      this.log.error(`cannot reload the ${what}; keeping the previous data (${kept})`, { path, why, error: (err as Error).message });
    }
    this.listener?.outcome?.(kind, ok);
    return ok;
  }

  close(): void {
    for (const p of this.watched) unwatchFile(p);
    this.watched.length = 0;
  }
}
