/**
 * `policygrad demo --policy random|heuristic --json` on the Box2D envs, through the built CLI (`npm test` builds
 * dist/ first), and in process.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { runDemo } from '../src/cli/demo.js';
import '../src/envs/builtin.js'; // what the CLI's main module does: register the built-in envs
import { heuristicPolicy, loadEnvEngine, make } from '../src/internal.js';

beforeAll(() => loadEnvEngine('LunarLander-v3'));

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const main = join(root, 'dist', 'cli', 'main.js');
const cli = (args: string[]) => spawnSync('node', [main, ...args], { cwd: root, encoding: 'utf8' });

describe('policygrad demo on LunarLander', () => {
  it('--policy heuristic --json prints the returns and lengths, the same as in process', () => {
    const run = cli([
      'demo',
      '--env',
      'LunarLander-v3',
      '--policy',
      'heuristic',
      '--episodes',
      '4',
      '--seed',
      '3',
      '--json',
    ]);
    expect(run.status, run.stderr).toBe(0);
    const printed = JSON.parse(run.stdout) as { returns: number[]; lengths: number[] };
    expect(Object.keys(printed)).toEqual(['returns', 'lengths']);
    expect(printed.returns).toHaveLength(4);
    expect(printed.lengths.every((l) => Number.isInteger(l) && l > 0 && l <= 1000)).toBe(true);
    const lines: string[] = [];
    const inProcess = runDemo(
      { env: 'LunarLander-v3', policy: 'heuristic', episodes: 4, seed: 3, json: true },
      (line) => lines.push(line),
    );
    expect(inProcess).toEqual(printed);
    // The heuristic lands: Gymnasium's mean is 235 with 91% of episodes ending asleep on the ground.
    expect(printed.returns.filter((r) => r > 150).length).toBeGreaterThanOrEqual(3);
  });

  it('--policy random prints one line per episode on LunarLanderContinuous-v3', () => {
    const run = cli(['demo', '--env', 'LunarLanderContinuous-v3', '--episodes', '2', '--seed', '1']);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^LunarLanderContinuous-v3: random policy, 2 episode\(s\), seed 1$/m);
    expect(run.stdout.match(/^episode \d: return -?\d+\.\d\d, length \d+/gm)).toHaveLength(2);
  });

  it('refuses a heuristic the env does not have, and an unknown policy, in one line (exit 2)', () => {
    for (const [args, message] of [
      [['--env', 'CartPole-v1', '--policy', 'heuristic'], /CartPole-v1 has no heuristic controller/],
      [
        ['--env', 'LunarLander-v3', '--policy', 'greedy'],
        /invalid --policy 'greedy': expected random or heuristic/,
      ],
    ] as const) {
      const run = cli(['demo', ...args]);
      expect(run.status).toBe(2);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
      expect(run.stderr).toMatch(message);
    }
  });
});

describe('policygrad demo on BipedalWalker', () => {
  it('--policy heuristic runs Gymnasium’s controller, fresh each episode, first action zero (in process)', () => {
    const lines: string[] = [];
    const demo = runDemo(
      { env: 'BipedalWalker-v3', policy: 'heuristic', episodes: 2, seed: 5, json: true },
      (line) => lines.push(line),
    );
    expect(JSON.parse(lines[0])).toEqual(demo);
    // The same episodes by hand: reset(seed) then unseeded resets, a new controller per episode.
    const env = make<Float32Array, unknown>('BipedalWalker-v3');
    const byHand = { returns: [] as number[], lengths: [] as number[] };
    for (let episode = 0; episode < 2; episode++) {
      let { observation } = env.reset({ seed: episode === 0 ? 5 : undefined });
      const controller = heuristicPolicy(env)!;
      let [total, length] = [0, 0];
      for (;;) {
        const step = env.step(controller(observation));
        [total, length, observation] = [total + step.reward, length + 1, step.observation];
        if (step.terminated || step.truncated) break;
      }
      byHand.returns.push(total);
      byHand.lengths.push(length);
    }
    expect(demo.lengths).toEqual(byHand.lengths);
    demo.returns.forEach((r, i) => expect(r).toBeCloseTo(byHand.returns[i], 9));
  });
});
