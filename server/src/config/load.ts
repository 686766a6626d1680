import { parse as parseDotenv } from 'dotenv';
import { readFileSync } from 'node:fs';
import { CONFIG_VARIABLES, configSchema, type Config } from './schema.js';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Reads `.env` (if present) without touching process.env; real environment variables win. */
export function readDotenv(path: string): Record<string, string> {
  try {
    return parseDotenv(readFileSync(path));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw e;
  }
}

/** Validates the environment once; every bad variable gets its own line in the error. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const input: Record<string, string> = {};
  for (const name of Object.keys(CONFIG_VARIABLES)) {
    const value = env[name];
    if (value !== undefined && value !== '') input[name] = value;
  }
  const result = configSchema.safeParse(input);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? 'config');
      const shown =
        name in input && !/SECRET|PASSWORD|_TOKEN$/.test(name)
          ? ` (got ${JSON.stringify(withoutCredentials(input[name]!))})`
          : '';
      return `${name}: ${issue.message}${shown}`;
    });
    throw new ConfigError(problems);
  }
  return result.data as Config;
}

/** A value as it may be printed: `user:password@` in anything URL-like is masked. */
export function withoutCredentials(value: string): string {
  return value.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/i, '$1***@');
}
