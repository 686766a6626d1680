/**
 * A start that cannot go on because of one variable's value (or what it points at): one line
 * that names the variable, printed by main.ts, which then exits with `exitCode`. 78 (EX_CONFIG)
 * is for what a restart cannot fix, so a supervisor can stop retrying; 1 for what may pass.
 */
export class StartupError extends Error {
  constructor(
    readonly variable: string,
    problem: string,
    readonly exitCode: 1 | 78 = 78,
  ) {
    super(`${variable}: ${problem}`);
    this.name = 'StartupError';
  }
}

/** The listen error as a line naming PORT or HOST, or undefined when it is about neither. */
export function listenError(err: unknown, where: { PORT: number; HOST: string }): StartupError | undefined {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const at = `${where.HOST}:${where.PORT}`;
  switch (code) {
    case 'EADDRINUSE':
      return new StartupError('PORT', `${at} is already in use by another process (EADDRINUSE)`, 1);
    case 'EACCES':
      return new StartupError('PORT', `not allowed to listen on ${at} (EACCES; ports below 1024 need privileges)`);
    case 'EADDRNOTAVAIL':
      return new StartupError(
        'HOST',
        `${JSON.stringify(where.HOST)} is not an address of this machine (EADDRNOTAVAIL)`,
      );
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new StartupError(
        'HOST',
        `${JSON.stringify(where.HOST)} does not resolve (${code})`,
        code === 'EAI_AGAIN' ? 1 : 78,
      );
    default:
      return undefined;
  }
}
