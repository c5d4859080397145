/**
 * Config names renamed by issue 15 (src/algos/renamed-options.ts): a config a user writes with an old name is
 * refused in one line naming the new one (library and CLI `--set`); a saved model or run directory written with an
 * old name is read in today's names; rl-zoo's `target_kl` means PPO's early stop but TRPO's trust region.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { upgradeSavedConfig } from '../src/algos/persistence.js';
import { configFromFile, ZOO_YAML_OPTIONS } from '../src/cli/zoo-config.js';
import { createAlgorithm, NPG, PolicygradError, PPO, Reinforce, RunDirectory, TRPO } from '../src/node.js';
import { PRESETS } from '../src/internal.js';

const root = new URL('..', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'policygrad-renamed-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** algo, old key, the new key, a value, the class's config context. */
const RENAMED = [
  ['ppo', 'klTarget', 'klPenaltyTarget', 0.02, 'PPO'],
  ['trpo', 'targetKl', 'maxKl', 0.02, 'TRPO'],
  ['npg', 'targetKl', 'maxKl', 0.02, 'NPG'],
  ['reinforce', 'normalizeAdvantages', 'normalizeAdvantage', false, 'REINFORCE'],
  ['reinforce', 'batchSteps', 'nSteps', 64, 'REINFORCE'],
  ['reinforce', 'valueEpochs', 'nCriticUpdates', 3, 'REINFORCE'],
] as const;

const CLASSES = { ppo: PPO, trpo: TRPO, npg: NPG, reinforce: Reinforce };

describe('renamed config keys', () => {
  it.each(RENAMED)('%s: %s is refused in one line naming %s', (algo, old, now, value, context) => {
    const build = () => new CLASSES[algo]({ [old]: value } as never);
    expect(build).toThrow(PolicygradError);
    expect(build).toThrow(new RegExp(`^${context} config: option '${old}' was renamed to ${now} \\(`));
    expect(() => createAlgorithm(algo, { [old]: value })).toThrow(`option '${old}' was renamed to ${now}`);
    try {
      build();
    } catch (error) {
      expect((error as Error).message.split('\n')).toHaveLength(1);
    }
  });

  it.each(RENAMED)('%s: %s → %s, the new name takes the value', (algo, _old, now, value) => {
    const model = createAlgorithm(algo, { env: 'CartPole-v1', [now]: value });
    expect((model.config as Record<string, unknown>)[now]).toBe(value);
    model.env.close();
  });

  it("PPO keeps targetKl (SB3's early stop) beside klPenaltyTarget", () => {
    const ppo = new PPO({ targetKl: 0.03, klPenaltyTarget: 0.02 });
    expect([ppo.config.targetKl, ppo.config.klPenaltyTarget]).toEqual([0.03, 0.02]);
    ppo.env.close();
  });

  it('saved configs are read in the new names, per algorithm', () => {
    expect(upgradeSavedConfig({ targetKl: 0.02, gamma: 0.9 }, 'trpo')).toEqual({ maxKl: 0.02, gamma: 0.9 });
    expect(upgradeSavedConfig({ targetKl: 0.02, klTarget: 0.01 }, 'ppo')).toEqual({
      targetKl: 0.02,
      klPenaltyTarget: 0.01,
    });
    expect(
      upgradeSavedConfig({ normalizeAdvantages: false, batchSteps: 64, valueEpochs: 3 }, 'reinforce'),
    ).toEqual({ normalizeAdvantage: false, nSteps: 64, nCriticUpdates: 3 });
    expect(upgradeSavedConfig({ hiddenSizes: [8], targetKl: 0.02 }, 'a2c')).toEqual({
      netArch: [8],
      targetKl: 0.02,
    });
  });

  it('a model saved with the old names loads (TRPO targetKl → maxKl), and so does a run directory', () => {
    const trpo = new TRPO({ env: 'CartPole-v1', nSteps: 16, batchSize: 16, maxKl: 0.02, seed: 1 });
    const dir = join(work, 'trpo-model');
    trpo.save(dir);
    trpo.env.close();
    const file = join(dir, 'model.json');
    const saved = JSON.parse(readFileSync(file, 'utf8'));
    const { maxKl, ...rest } = saved.config;
    writeFileSync(file, JSON.stringify({ ...saved, config: { ...rest, targetKl: maxKl } }));
    const loaded = TRPO.load(dir);
    expect(loaded.config.maxKl).toBe(0.02);
    loaded.env.close();

    writeFileSync(
      join(work, 'config.json'),
      JSON.stringify({ algo: 'reinforce', config: { batchSteps: 64, valueEpochs: 3 } }),
    );
    expect(RunDirectory.open(work).readConfig().config).toEqual({ nSteps: 64, nCriticUpdates: 3 });
  });

  it("rl-zoo's target_kl is PPO's targetKl but TRPO's (and NPG's) maxKl", () => {
    const zoo = parse('HalfCheetah-v4:\n  target_kl: 0.04\n', ZOO_YAML_OPTIONS) as Record<string, unknown>;
    const preset = (algo: string) =>
      configFromFile(zoo, { path: `${algo}.yml`, algo, env: 'HalfCheetah-v4' }).zooPreset;
    expect(preset('ppo')).toEqual({ targetKl: 0.04 });
    expect(preset('trpo')).toEqual({ maxKl: 0.04 });
    expect(preset('npg')).toEqual({ maxKl: 0.04 });
    expect(PRESETS.trpo['HalfCheetah-v5'].zoo).toMatchObject({ maxKl: 0.04 });
  });

  it.each(RENAMED)(
    'policygrad train --algo %s --set %s=… is refused in one line (exit 2)',
    { tags: ['slow'] },
    (algo, old, now, value) => {
      const out = join(work, `cli-${algo}-${old}`);
      const run = spawnSync(
        'node',
        ['dist/cli/main.js', 'train', '--algo', algo, '--set', `${old}=${value}`, '--out', out],
        { cwd: root, encoding: 'utf8' },
      );
      expect(run.status, run.stderr).toBe(2);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
      expect(run.stderr).toMatch(new RegExp(`^policygrad: .*option '${old}' was renamed to ${now} \\(`));
    },
  );
});
