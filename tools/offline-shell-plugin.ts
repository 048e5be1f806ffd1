import type { LogLevel, Plugin } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';

/**
 * The demo's offline shell: vite-plugin-pwa builds the service worker `demo-app/sw.ts` and gives it the list of files
 * to precache, each with a revision taken from its content, so that an edited file, public ones included, makes a new
 * service worker. `injectManifest` and no injected registration: the service worker is our own file and the page
 * registers it from its own script (`UpdatePrompt`), so no script is inlined and the Content-Security-Policy stays
 * strict.
 */
export function offlineShell(): Plugin[] {
  let logLevel: LogLevel | undefined;
  return [
    {
      name: 'eventfold-offline-shell-log-level',
      apply: 'build',
      configResolved: (config) => {
        logLevel = config.logLevel;
      },
    },
    ...VitePWA({
      strategies: 'injectManifest',
      srcDir: 'demo-app',
      filename: 'sw.ts',
      injectRegister: false,
      registerType: 'prompt',
      manifest: false,
      injectManifest: { globPatterns: ['**/*.{html,js,css,svg,png,ico,webmanifest}'] },
      integration: {
        // The service worker is a build of its own: it logs as the app's build does, and is one file under the name
        // vite 8's bundler gives that option (the plugin still sets the deprecated `inlineDynamicImports`).
        configureCustomSWViteBuild: (config) => {
          config.logLevel = logLevel;
          const output = config.build?.rollupOptions?.output;
          if (output && !Array.isArray(output)) {
            delete output.inlineDynamicImports;
            output.codeSplitting = false;
          }
        },
      },
    }),
  ];
}
