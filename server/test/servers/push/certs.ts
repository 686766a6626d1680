import { generate } from 'selfsigned';

/**
 * A self-signed certificate for 127.0.0.1 / localhost, made once per test process. The provider
 * clients trust it through their `ca` setting (never by turning TLS checks off).
 */
export interface TestCert {
  key: string;
  cert: string;
}

let made: Promise<TestCert> | null = null;

export function testCert(): Promise<TestCert> {
  made ??= generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    notAfterDate: new Date(Date.now() + 2 * 86_400_000),
    extensions: [
      { name: 'basicConstraints', cA: true },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, keyCertSign: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
        ],
      },
    ],
  }).then((p) => ({ key: p.private, cert: p.cert }));
  return made;
}

/** Per-token scripted answers shared by the three servers: the last answer of a list sticks. */
export interface ScriptedAnswer {
  status: number;
  reason?: string;
  retryAfter?: number;
}

export class Answers {
  private readonly scripts = new Map<string, ScriptedAnswer[]>();

  /** The next answers for `token`, in order; the last one keeps being given. */
  script(token: string, ...answers: ScriptedAnswer[]): void {
    this.scripts.set(token, [...answers]);
  }

  next(token: string): ScriptedAnswer | undefined {
    const list = this.scripts.get(token);
    if (!list?.length) return undefined;
    return list.length > 1 ? list.shift() : list[0];
  }

  clear(): void {
    this.scripts.clear();
  }
}
