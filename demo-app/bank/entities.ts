import { account } from './account.ts';

/** The entity types of the bank, on the devices and on the sync server alike. */
export const entities = { account };
