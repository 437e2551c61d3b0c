import { describe, expect, it } from 'vitest';
import { createPipelineMetrics } from './metrics.js';

describe('createPipelineMetrics', () => {
  it('starts at zero, with no reasons and no queues', () => {
    expect(createPipelineMetrics().snapshot()).toEqual({
      received: 0,
      dropped: {},
      duplicates: 0,
      gated: {},
      dispatched: 0,
      replied: 0,
      streamed: 0,
      chunksSent: 0,
      retries: 0,
      failures: 0,
      caughtUp: 0,
      leftOut: 0,
      queueDepth: {},
    });
  });

  it('counts every stage, reasons apart, and reads the queue depth when a snapshot is taken', () => {
    const depths: Record<string, number> = { 'group:@TGS#1a': 2, 'c2c:alice': 0 };
    const metrics = createPipelineMetrics(() => depths);
    for (let i = 0; i < 5; i++) metrics.received();
    metrics.dropped('own');
    metrics.dropped('system');
    metrics.dropped('own');
    metrics.duplicate();
    metrics.gated('not_mentioned');
    metrics.gated('not_mentioned');
    metrics.gated('group_denied');
    metrics.dispatched();
    metrics.dispatched();
    metrics.replied();
    metrics.streamed();
    metrics.chunksSent();
    metrics.chunksSent(3);
    metrics.retry();
    metrics.failure();
    metrics.caughtUp(4);
    metrics.caughtUp();
    metrics.leftOut(2);
    const snapshot = metrics.snapshot();
    expect(snapshot).toEqual({
      received: 5,
      dropped: { own: 2, system: 1 },
      duplicates: 1,
      gated: { not_mentioned: 2, group_denied: 1 },
      dispatched: 2,
      replied: 1,
      streamed: 1,
      chunksSent: 4,
      retries: 1,
      failures: 1,
      caughtUp: 5,
      leftOut: 2,
      queueDepth: { 'group:@TGS#1a': 2 },
    });
    expect(JSON.parse(JSON.stringify(snapshot))).toEqual(snapshot);

    depths['c2c:alice'] = 1;
    metrics.gated('group_denied');
    expect(metrics.snapshot().queueDepth).toEqual({ 'group:@TGS#1a': 2, 'c2c:alice': 1 });
    expect(snapshot.gated).toEqual({ not_mentioned: 2, group_denied: 1 });
  });
});
