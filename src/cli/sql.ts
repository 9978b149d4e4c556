import { UsageError } from './common.js';

// Placeholder until the sql command lands (its own issue); it says so instead of doing nothing.
export async function sqlCommand(_argv: string[]): Promise<number> {
  throw new UsageError('"sql" is not available in this build yet');
}
