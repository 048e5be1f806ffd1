// Bundles the demo's server (demo-app/server/main.ts, with the bank's entity definitions) into demo-dist-server/.
import { bundleForNode } from './bundle-for-node.mjs';

await bundleForNode('demo-app/server/main.ts', 'demo-dist-server/main.mjs');
