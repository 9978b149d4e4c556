import { UsageError } from './common.js';

// Placeholder until the replay command lands (its own issue); it says so instead of doing nothing.
export async function replayCommand(_argv: string[]): Promise<number> {
  throw new UsageError('"replay" is not available in this build yet');
}
