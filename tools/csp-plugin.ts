import type { Plugin } from 'vite';

/**
 * The production build's Content-Security-Policy: scripts, workers and styles from the app's own origin only — no
 * inline script, no `eval` — nothing framed, no plugins. Added at build time only: the dev server injects inline
 * scripts of its own (hot reload) that such a policy would block.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "worker-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

/** Puts `CONTENT_SECURITY_POLICY` in the built `index.html`, as the first element of its head. */
export function contentSecurityPolicy(): Plugin {
  return {
    name: 'eventfold-content-security-policy',
    apply: 'build',
    transformIndexHtml: () => [
      {
        tag: 'meta',
        attrs: { 'http-equiv': 'Content-Security-Policy', content: CONTENT_SECURITY_POLICY },
        injectTo: 'head-prepend',
      },
    ],
  };
}
