// @module-tag slow: runs the built package (dist/) end to end
/**
 * RecurrentPPO through the built CLI: `train --algo recurrent-ppo` on the memory task, `eval` of the saved policy
 * (played with its memory), `export` and `policygrad/inference` acting with its state; `--resume` from a
 * checkpoint (hidden states inside) finishes with the metrics and parameters of the uninterrupted run.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = new URL('..', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'policygrad-recurrent-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function cli(args: string[]) {
  return spawnSync('node', ['dist/cli/main.js', ...args], { cwd: root, encoding: 'utf8' });
}

const MEMORY = [
  '--algo',
  'recurrent-ppo',
  '--env',
  'RepeatFirst-v0',
  ...['numEnvs=8', 'nSteps=32', 'batchSize=64', 'nEpochs=4', 'learningRate=0.003', 'entCoef=0.01'].flatMap(
    (s) => ['--set', s],
  ),
  ...['hiddenSize=16', 'netArch=[32]', 'envOptions={"cues":4,"delay":5}'].flatMap((s) => ['--set', s]),
];

describe('recurrent-ppo through the CLI', () => {
  it('trains on the memory task, evaluates with memory, exports a file policygrad/inference plays', async () => {
    const out = join(work, 'memory');
    const train = cli(['train', ...MEMORY, '--timesteps', '15000', '--out', out]);
    expect(train.stderr).toBe('');
    expect(train.status).toBe(0);
    const evaluation = cli(['eval', out, '--episodes', '40']);
    expect(evaluation.status).toBe(0);
    expect(evaluation.stdout).toMatch(/40 episodes: return 1\.00 ± 0\.00/); // chance would be 0.25
    const file = join(work, 'memory.json');
    expect(cli(['export', out, '--out', file]).status).toBe(0);
    const { loadPolicy } = await import(join(root, 'dist', 'inference.js'));
    const policy = loadPolicy(readFileSync(file, 'utf8'));
    for (const cue of [0, 1, 2, 3]) {
      policy.reset();
      const blank = [0, 0, 0, 0, 0];
      policy.act(blank.map((_, i) => (i === cue ? 1 : 0)));
      for (let t = 1; t < 5; t++) policy.act(blank);
      expect(policy.act([0, 0, 0, 0, 1])).toBe(cue);
    }
  });

  it('--resume from a checkpoint finishes the run exactly (CartPoleNoVel-v1, zoo)', () => {
    const args = ['--algo', 'recurrent-ppo', '--env', 'CartPoleNoVel-v1', '--preset', 'zoo'];
    const full = join(work, 'full');
    expect(
      cli(['train', ...args, '--timesteps', '2048', '--checkpoint-every', '1024', '--out', full]).status,
    ).toBe(0);
    const resumed = join(work, 'resumed');
    cpSync(full, resumed, { recursive: true });
    const checkpoints = readdirSync(join(resumed, 'checkpoints')).sort();
    rmSync(join(resumed, 'checkpoints', checkpoints[checkpoints.length - 1]));
    expect(cli(['train', '--resume', resumed]).status).toBe(0);
    const rows = (run: string) =>
      readFileSync(join(run, 'metrics.csv'), 'utf8')
        .trim()
        .split('\n')
        .map((line) => line.split(',').slice(0, -2).join(','));
    expect(rows(resumed)).toEqual(rows(full));
    const params = (run: string) =>
      JSON.parse(readFileSync(join(run, 'final', 'policy.json'), 'utf8')).params;
    expect(params(resumed)).toBe(params(full));
  });
});
