// Type tests of the page's client and hooks: checked by `tsc`, never run.
import { connect } from 'eventfold/client';
import { useEntity, useReadModel } from 'eventfold/react';
import type { ReadModelDocument } from 'eventfold';
import { type Equal, expectType } from './expect.ts';
import type { entities, projections, State, Summary } from './fixtures.ts';

declare const worker: Worker;
const client = connect<typeof entities, typeof projections>(worker);

export function Probe() {
  const summaries = useReadModel(client, 'summaries');
  if (summaries.status === 'ready') expectType<Equal<typeof summaries.documents, readonly ReadModelDocument<Summary>[]>>();

  // @ts-expect-error a misspelled read model
  useReadModel(client, 'sumaries');

  // @ts-expect-error the documents are Summaries, not numbers
  const wrong: ReadModelDocument<number>[] = summaries.status === 'ready' ? [...summaries.documents] : [];

  const entity = useEntity(client, 'account', 'a');
  if (entity.status === 'ready') expectType<Equal<typeof entity.state, State>>();

  // @ts-expect-error an entity type the worker does not serve
  useEntity(client, 'acount', 'a');
  return wrong.length;
}

export async function calls() {
  const ticks = await client.readModel('ticks');
  expectType<Equal<typeof ticks.documents, ReadModelDocument<number>[]>>();
  // @ts-expect-error a misspelled read model
  await client.readModel('tick');
  // @ts-expect-error a misspelled read model
  await client.rebuildProjection('summary');
  // @ts-expect-error a misspelled read model
  client.subscribeProjection('summary', () => {});
  // @ts-expect-error a command the entity does not accept
  await client.send('account', 'a', { type: 'withdraw', amount: 1 });

  // A client connected without projections reads no read model.
  const bare = connect<typeof entities>(worker);
  // @ts-expect-error no projections were declared
  await bare.readModel('summaries');
}
