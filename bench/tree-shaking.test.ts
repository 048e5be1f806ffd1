import { describe, expect, it } from 'vitest';
import { bundle, workerEntries } from '../tools/library-sizes.mjs';

// What only the projection runner says: present exactly when an app's worker keeps read models.
const RUNNER = '`catching-up`';

describe('an app pays only for the features it uses (worker side, bundled as B5 measures it)', () => {
  it('leaves the projection machinery out of a worker without projections', async () => {
    const { code } = await bundle(workerEntries['worker, no projections, no schemas']);
    expect(code.includes(RUNNER)).toBe(false);
  });

  it('ships it with a worker that defines a projection', async () => {
    const { code } = await bundle(workerEntries['worker, projections']);
    expect(code.includes(RUNNER)).toBe(true);
  });
});
