// Type assertions with no dependency but TypeScript, so that the type tests also run against the packed package.

/** `true` when `A` and `B` are the same type (not merely assignable to each other), else `false`. */
export type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

/** Compiles only when `T` is `true`: `expectType<Equal<typeof x, string>>()`. */
export function expectType<T extends true>(): T | void {}
