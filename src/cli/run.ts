import { UsageError } from './common.js';

// Placeholder until the run command lands (its own issue); it says so instead of doing nothing.
export async function runCommand(_argv: string[]): Promise<number> {
  throw new UsageError('"run" is not available in this build yet');
}
