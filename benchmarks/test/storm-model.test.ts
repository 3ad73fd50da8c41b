/**
 * The storm on a virtual clock. It is deterministic, so it can pin what the real storm (one noisy sample per run
 * on a busy machine) cannot: that Bulwark's layers finish more of the storm's requests than the peers' while
 * wasting the least, and that under a sustained overload they do not throw capacity away.
 */
import { describe, expect, it } from 'vitest';
import { bucketCounts, computeMetrics } from '../src/storm/metrics.js';
import { bulwarkModel, modelScenarios, naiveModel, noRetriesModel, playModel } from '../src/storm/model.js';
import { LATENCY_BOUNDED } from '../src/storm/profiles.js';
import { durationOf, fullScenario, phaseAt } from '../src/storm/scenario.js';
import { OK } from '../src/storm/service/model.js';

describe('the storm model', () => {
  it('is the same run for the same seed', async () => {
    const a = await playModel(bulwarkModel(), fullScenario, { seed: 7 });
    const b = await playModel(bulwarkModel(), fullScenario, { seed: 7 });
    expect(b.service.times).toEqual(a.service.times);
    expect(b.client.ok).toEqual(a.client.ok);
    expect(b.client.ended).toEqual(a.client.ended);
  });

  it('settles every request by its deadline and never serves above capacity', async () => {
    const logs = await playModel(naiveModel, fullScenario, { seed: 1 });
    const { issued, ended } = logs.client;
    expect(logs.client.abandoned).toBe(0);
    for (let i = 0; i < issued.length; i++) {
      expect(ended[i]! - issued[i]!).toBeLessThanOrEqual(fullScenario.deadlineMs);
    }
    const buckets = Math.ceil(durationOf(fullScenario) / 1000);
    const served = bucketCounts(logs.service.times, 1000, buckets, (i) => logs.service.outcomes[i] === OK);
    served.forEach((count, b) => {
      expect(count).toBeLessThanOrEqual(phaseAt(fullScenario, b * 1000).capacity);
    });
  });

  it("Bulwark's layers complete more of the storm than the peers, and waste the least", async () => {
    const [bulwark, naive, none] = await Promise.all(
      [bulwarkModel(), naiveModel, noRetriesModel].map(async (strategy) =>
        computeMetrics(fullScenario, await playModel(strategy, fullScenario, { seed: 1 })),
      ),
    );
    expect(bulwark!.completed).toBeGreaterThan(0.85 * bulwark!.issued);
    expect(bulwark!.completed).toBeGreaterThan(naive!.completed);
    expect(bulwark!.completed).toBeGreaterThan(none!.completed);
    expect(bulwark!.wasted).toBeLessThan(0.03);
    expect(bulwark!.wasted).toBeLessThan(none!.wasted / 5);
    expect(naive!.amplification).toBeGreaterThan(1.5);
  });

  it('under a sustained overload, adaptive concurrency serves at least as many as sending everything once', async () => {
    const steady = modelScenarios.steady!;
    const [bulwark, none] = await Promise.all(
      [bulwarkModel(), noRetriesModel].map(async (strategy) =>
        computeMetrics(steady, await playModel(strategy, steady, { seed: 1 })),
      ),
    );
    // Sending only calls that can still finish keeps the capacity for them: none is cut on the way.
    expect(bulwark!.completed).toBeGreaterThanOrEqual(none!.completed);
    expect(bulwark!.wasted).toBeLessThan(none!.wasted / 5);
  });

  it('the latency-bounded profile answers or refuses within a few seconds, where completion-first holds calls to their deadline', async () => {
    const [completionFirst, latencyBounded] = await Promise.all(
      [bulwarkModel(), bulwarkModel({}, LATENCY_BOUNDED)].map(async (strategy) =>
        computeMetrics(fullScenario, await playModel(strategy, fullScenario, { seed: 1 })),
      ),
    );
    // 3 attempts, each waiting at most maxWait (2 s) for a slot, plus backoffs and a 1 s answer.
    expect(latencyBounded!.p99).toBeLessThan(3 * 2_000 + 2_000);
    expect(completionFirst!.p99).toBeGreaterThan(fullScenario.deadlineMs * 0.9);
    // It gives the stale backlog up: fewer completions, still most of the storm, and as little waste.
    expect(latencyBounded!.completed).toBeLessThan(completionFirst!.completed);
    expect(latencyBounded!.completed).toBeGreaterThan(0.7 * latencyBounded!.issued);
    expect(latencyBounded!.wasted).toBeLessThan(0.03);
  });
});
