import { createRequire } from 'node:module';

/**
 * `require` for the CommonJS packages a command loads (h3-js, @clickhouse/client, chdb). An ES `import` of a
 * CommonJS file first has Node scan its whole source for the names it exports (cjs-module-lexer); for h3-js,
 * 550 KB of compiled C, that scan cost 50-100 ms of CPU and V8 then compiled the scanner itself, on every
 * `detect` with a ClickHouse store. `require` skips the scan: loading h3-js takes ~13 ms.
 */
export const requireCjs = createRequire(import.meta.url);
