import type { WireErrorCode } from '../sync/protocol.ts';

/** An error the server answers with: its HTTP status and the typed body (`ErrorBodySchema`). */
export class WireError extends Error {
  override readonly name = 'WireError';

  constructor(
    readonly status: 400 | 401 | 403 | 404 | 409 | 413 | 429 | 500 | 503,
    readonly code: WireErrorCode,
    message: string,
    readonly details: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
  }

  /** Whether the same request may succeed later as it is. */
  get retryable(): boolean {
    return this.status === 429 || this.status >= 500;
  }

  /** The response body. */
  body(): { error: Record<string, unknown> } {
    return { error: { ...this.details, code: this.code, message: this.message, retryable: this.retryable } };
  }
}
