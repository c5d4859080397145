/**
 * The sweep spec: grid × random expansion, draws from the sweep's own seed (same spec → same trials), and every
 * key and value checked against the algorithm's schema with one-line errors naming the key, the value and what is
 * accepted.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseSweepSpec, sweepConfigs, sweepTrials, trialConfig } from '../src/cli/sweep-spec.js';

const base = { algo: 'ppo', env: 'CartPole-v1', timesteps: 4096, seeds: [1, 2] };
const parse = (extra: Record<string, unknown>) => parseSweepSpec({ ...base, ...extra }, 'spec.yaml');

describe('sweep spec', () => {
  it('expands a grid into its product, every config on every seed', () => {
    const spec = parse({ grid: { learningRate: [0.001, 0.0003], clipRange: [0.1, 0.2] } });
    expect(sweepConfigs(spec).map((c) => c.params)).toEqual([
      { learningRate: 0.001, clipRange: 0.1 },
      { learningRate: 0.001, clipRange: 0.2 },
      { learningRate: 0.0003, clipRange: 0.1 },
      { learningRate: 0.0003, clipRange: 0.2 },
    ]);
    const trials = sweepTrials(spec);
    expect(trials.map((t) => t.id)).toEqual([
      'c00-seed1',
      'c00-seed2',
      'c01-seed1',
      'c01-seed2',
      'c02-seed1',
      'c02-seed2',
      'c03-seed1',
      'c03-seed2',
    ]);
    expect(trialConfig(spec, trials[3])).toEqual({
      env: 'CartPole-v1',
      learningRate: 0.001,
      clipRange: 0.2,
      seed: 2,
    });
  });

  it('draws random trials from the sweep seed, within their ranges, on every grid point', () => {
    const random = {
      trials: 50,
      entCoef: { loguniform: [1e-4, 1e-2] },
      gamma: { uniform: [0.9, 0.999] },
      nEpochs: { int: [3, 5] },
      activation: { choice: ['tanh', 'relu'] },
    };
    const spec = parse({ grid: { clipRange: [0.1, 0.2] }, random });
    const configs = sweepConfigs(spec);
    expect(configs).toHaveLength(100);
    expect(new Set(configs.map((c) => c.params.clipRange))).toEqual(new Set([0.1, 0.2]));
    for (const { params } of configs) {
      expect(params.entCoef).toBeGreaterThanOrEqual(1e-4);
      expect(params.entCoef).toBeLessThan(1e-2);
      expect(params.gamma).toBeGreaterThanOrEqual(0.9);
      expect(params.gamma).toBeLessThan(0.999);
      expect([3, 4, 5]).toContain(params.nEpochs);
      expect(['tanh', 'relu']).toContain(params.activation);
    }
    // int is inclusive at both ends, choice reaches every value.
    expect(new Set(configs.map((c) => c.params.nEpochs))).toEqual(new Set([3, 4, 5]));
    expect(new Set(configs.map((c) => c.params.activation))).toEqual(new Set(['tanh', 'relu']));
    // loguniform: log10 draws uniform on [-4, -2): their mean is -3 within 4 standard errors (σ = 2/√12, n = 100).
    const logs = configs.map((c) => Math.log10(c.params.entCoef as number));
    const mean = logs.reduce((a, b) => a + b, 0) / logs.length;
    expect(Math.abs(mean + 3)).toBeLessThan((4 * (2 / Math.sqrt(12))) / Math.sqrt(100));
    // Same spec, same draws; another sampleSeed, other draws.
    expect(sweepConfigs(parse({ grid: { clipRange: [0.1, 0.2] }, random }))).toEqual(configs);
    expect(sweepConfigs(parse({ grid: { clipRange: [0.1, 0.2] }, random, sampleSeed: 1 }))).not.toEqual(
      configs,
    );
  });

  it.each([
    [
      { grid: { learningrate: [0.1] } },
      'grid.learningrate is not a ppo option (did you mean learningRate?); accepted: ',
    ],
    [{ random: { trials: 2, clip_range: { uniform: [0.1, 0.3] } } }, 'random.clip_range is not a ppo option'],
    [{ config: { nEpochs: 0 } }, 'config.nEpochs = 0 is invalid for ppo:'],
    [{ grid: { batchSize: [64, 'big'] } }, 'grid.batchSize[1] = "big" is invalid for ppo:'],
    [{ grid: { seed: [1, 2] } }, "grid.seed cannot be set here: a sweep's seeds are its 'seeds' list"],
    [
      { random: { trials: 2, gamma: { uniform: [0.99, 0.9] } } },
      'random.gamma.uniform = [0.99, 0.9] is invalid: expected [low, high] with low < high',
    ],
    [
      { random: { trials: 2, gamma: { normal: [0, 1] } } },
      'random.gamma = {"normal":[0,1]} is invalid: expected one of { choice',
    ],
    [
      { random: { trials: 2, gamma: { uniform: [0.5, 1.5] } } },
      'random.gamma.uniform[1] = 1.5 is invalid for ppo',
    ],
    [
      { grid: { gamma: [0.9] }, random: { trials: 1, gamma: { choice: [0.99] } } },
      "'gamma' is in both grid and random",
    ],
    [{ algo: 'a3c' }, "algo 'a3c' cannot be swept"],
    [{ algo: 'ppoo' }, 'unknown algorithm "ppoo" (did you mean ppo or appo?)'],
    [{ seeds: [1, 1] }, "'seeds' = [1, 1] repeats a seed"],
    [{ timesteps: -5 }, "'timesteps' = -5 is invalid"],
    [{ trials: 4 }, "unknown key 'trials'"],
  ])('refuses %j with one line', (extra, message) => {
    let error: Error | undefined;
    try {
      parse(extra);
    } catch (e) {
      error = e as Error;
    }
    expect(error?.name).toBe('PolicygradError');
    expect(error?.message).toContain(`sweep spec spec.yaml: ${message}`);
    expect(error?.message).not.toContain('\n');
  });

  it("the README's spec example is valid and is what the README says (8 configs × 4 seeds)", () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('## Sweeps'), readme.indexOf('### On several machines'));
    const yaml = /```yaml\n([\s\S]*?)```/.exec(section)?.[1] as string;
    const spec = parseSweepSpec(parseYaml(yaml) as Record<string, unknown>, 'sweep.yaml');
    expect(sweepConfigs(spec)).toHaveLength(8);
    expect(sweepTrials(spec)).toHaveLength(32);
    expect(section).toContain('the spec above is 4 × 2 = 8 configs × 4 seeds = 32 trials');
  });
});

describe('a trial’s run options', () => {
  it('one update thread: trials run side by side and share the cores (two-thread updates would oversubscribe)', async () => {
    const { trialRunConfig } = await import('../src/node/sweep/trial.js');
    const { createAlgorithm } = await import('../src/internal.js');
    const config = { env: 'CartPole-v1', seed: 1, preset: 'zoo' };
    expect(trialRunConfig(config)).toEqual({ ...config, threads: 1 });
    const model = createAlgorithm('ppo', trialRunConfig(config));
    expect(model.updateThreads).toMatch(/^1 /);
    model.close?.();
  });
});
