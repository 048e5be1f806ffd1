import { describe, expect, it } from 'vitest';
import { SharedSubscription } from './shared-subscription.ts';

describe('SharedSubscription', () => {
  it('tells listeners what is published, replays the latest to late joiners, and stops after the last leaves', async () => {
    let stopped = 0;
    const subscription = new SharedSubscription<number>(() => stopped++, { replay: (latest) => -latest });
    const first: number[] = [];
    const leaveFirst = subscription.join((value) => first.push(value));
    subscription.publish(1);
    subscription.publish(2, 20);
    expect(first).toEqual([1, 20]);
    expect(subscription.latest).toBe(2);

    const second: number[] = [];
    const leaveSecond = subscription.join((value) => second.push(value));
    await Promise.resolve();
    expect(second).toEqual([-2]);

    leaveFirst();
    leaveFirst();
    expect(stopped).toBe(0);
    leaveSecond();
    expect(stopped).toBe(1);
  });

  it('tells every other listener while one throws, and reports the throw', () => {
    const reported: unknown[] = [];
    const subscription = new SharedSubscription<number>(() => {}, { report: (error) => reported.push(error) });
    const heard: number[] = [];
    subscription.join(() => {
      throw new Error('broken view');
    });
    subscription.join((value) => heard.push(value));
    subscription.publish(1);
    subscription.publish(2);
    expect(heard).toEqual([1, 2]);
    expect(reported.map((error) => (error as Error).message)).toEqual(['broken view', 'broken view']);
  });

  it('tells error handlers why it failed', () => {
    const errors: unknown[] = [];
    const subscription = new SharedSubscription<number>(() => {});
    subscription.join(() => {}, (error) => errors.push(error));
    subscription.fail('boom');
    expect(errors).toEqual(['boom']);
  });
});
