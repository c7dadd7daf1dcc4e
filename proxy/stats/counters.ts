/**
 * Moved to proxy/runtime/counters.ts (running state sits below statistics in the layer
 * table, test/proxy/boundaries.test.ts). Kept for the store modules and tests
 * being edited this session; remove once they import proxy/runtime/counters.ts.
 */
export * from '../runtime/counters.ts';
