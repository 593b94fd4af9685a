/**
 * Math functions as module bindings, for the code that runs per value. `Math.floor` looks
 * the global `Math` up on every call: free in a plain Node process, but inside a `vm`
 * context (Jest's test environment) each global lookup goes through the context's
 * interceptors and costs ~80× more, which made a 1,000,000-row job take minutes in tests.
 */
export const { abs, ceil, floor, imul, log2, max, min } = Math;
