import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import { Upload, type DetailedError, type UploadOptions } from 'tus-js-client';

/** A listening HTTP server on a free 127.0.0.1 port for an app (tus-js-client needs a real URL). */
export async function listen(app: Express, port = 0): Promise<{ base: string; port: number; close(): Promise<void> }> {
  const server: Server = createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    base: `http://127.0.0.1:${bound}`,
    port: bound,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface TusOutcome {
  url: string | null;
  /** The file id the server named on completion. */
  fileId: string | null;
  error: DetailedError | null;
  status: number | null;
  body: string | null;
}

/**
 * Runs a tus-js-client upload of `data` to completion, an error, or until `stopAfterChunks`
 * chunks went through (then aborts, as a dropped connection would).
 */
export function tusUpload(
  data: Buffer,
  options: Partial<UploadOptions> & { endpoint: string; stopAfterChunks?: number },
): Promise<TusOutcome> {
  return new Promise((resolve) => {
    let fileId: string | null = null;
    let chunks = 0;
    const { stopAfterChunks, ...rest } = options;
    const upload: Upload = new Upload(data, {
      chunkSize: 64 * 1024,
      retryDelays: null,
      ...rest,
      onAfterResponse: (_req, res) => {
        fileId = res.getHeader('Hearth-File-Id') || fileId;
      },
      onChunkComplete: () => {
        chunks++;
        if (stopAfterChunks !== undefined && chunks >= stopAfterChunks) {
          void upload.abort().then(() => resolve({ url: upload.url, fileId, error: null, status: null, body: null }));
        }
      },
      onSuccess: () => resolve({ url: upload.url, fileId, error: null, status: null, body: null }),
      onError: (error) => {
        const detailed = error as DetailedError;
        resolve({
          url: upload.url,
          fileId,
          error: detailed,
          status: detailed.originalResponse?.getStatus() ?? null,
          body: detailed.originalResponse?.getBody() ?? null,
        });
      },
    });
    upload.start();
  });
}
