/** Reads the golden payload files of test/golden. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const GOLDEN_DIR = join(__dirname, '..', 'golden');

export function goldenText(name: string): string {
  return readFileSync(join(GOLDEN_DIR, name), 'utf8');
}

export function goldenJson(name: string): Record<string, unknown> {
  return JSON.parse(goldenText(name)) as Record<string, unknown>;
}
