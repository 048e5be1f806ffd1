import { account } from './bank-account.ts';

/** The entities of the sync tests, on the test server and on the devices alike. */
export const syncTestEntities = { account };
