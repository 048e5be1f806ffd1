import { describe, expect, it } from 'vitest';
import { bundle, workerEntries } from '../tools/library-sizes.mjs';

// Texts that only the projection machinery holds: the runner's status, and the function that applies a projection.
const PROJECTION_ONLY = ['`catching-up`', 'documentId must return'];

describe('an app pays only for the features it uses (worker side, bundled as B5 measures it)', () => {
  it('leaves the projection machinery out of a worker without projections', async () => {
    const { code } = await bundle(workerEntries['worker, no projections, no schemas']);
    expect(PROJECTION_ONLY.filter((text) => code.includes(text))).toEqual([]);
  });

  it('ships it with a worker that defines a projection', async () => {
    const { code } = await bundle(workerEntries['worker, projections']);
    expect(PROJECTION_ONLY.filter((text) => code.includes(text))).toEqual(PROJECTION_ONLY);
  });
});
