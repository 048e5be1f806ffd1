import { jwtVerify, SignJWT } from 'jose';

/**
 * Decides whether a request may reach a journal: `true` lets it in. Called for every request, before its body is
 * read. A request without credentials is answered 401, one whose credentials do not open this journal 403.
 */
export type Authorize = (request: Request, journalId: string) => boolean | Promise<boolean>;

/** Options of `journalTokens`. */
export interface JournalTokenOptions {
  /** The HMAC key tokens are signed with (HS256): at least 32 bytes, kept on the server. */
  readonly secret: string | Uint8Array;
  /** How long a token lasts, as `jose` reads it (`'12h'`, `'30d'`). Default `'30d'`. */
  readonly expiresIn?: string;
}

/**
 * Signed tokens that each open one journal: `issue(journalId)` makes one, `authorize` lets a request in only with
 * a valid, unexpired token for the journal it asks for (`Authorization: Bearer <token>`). A token for journal A
 * opens nothing of journal B.
 */
export function journalTokens({ secret, expiresIn = '30d' }: JournalTokenOptions): JournalTokens {
  const key = typeof secret === 'string' ? new TextEncoder().encode(secret) : secret;
  if (key.byteLength < 32) throw new TypeError('journalTokens: the secret must have at least 32 bytes');
  return {
    issue: (journalId) => new SignJWT({ journal: journalId }).setProtectedHeader({ alg: 'HS256' }).setIssuedAt().setExpirationTime(expiresIn).sign(key),
    async authorize(request, journalId) {
      const token = bearerToken(request);
      if (token === undefined) return false;
      try {
        const { payload } = await jwtVerify(token, key, { algorithms: ['HS256'] });
        return payload.journal === journalId;
      } catch {
        return false;
      }
    },
  };
}

/** Tokens that each open one journal (`journalTokens`). */
export interface JournalTokens {
  /** A signed token that opens `journalId` until it expires. */
  issue(journalId: string): Promise<string>;
  /** Lets a request in when it carries a valid token for the journal it asks for. */
  readonly authorize: Authorize;
}

/** The bearer token of a request, if it has one. */
export function bearerToken(request: Request): string | undefined {
  const header = request.headers.get('authorization');
  const match = header && /^Bearer ([A-Za-z0-9._~+/-]+=*)$/.exec(header);
  return match ? match[1] : undefined;
}
