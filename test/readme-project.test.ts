// @module-tag slow: runs the built package (dist/) end to end
/**
 * README "Use it in your project" (issue 13, item 12): its JavaScript is the files in examples/, line for line,
 * and the tests run them as a user would: the API example with node, the command lines through the built CLI,
 * in a fresh directory whose node_modules/policygrad is this package.
 */
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = new URL('..', import.meta.url).pathname;
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const section = readme.slice(
  readme.indexOf('## Use it in your project'),
  readme.indexOf('\n## ', readme.indexOf('## Use it in your project') + 1),
);
const blocks = [...section.matchAll(/```(\w+)\n([\s\S]*?)```/g)].map(([, lang, code]) => ({ lang, code }));

/** A user's project: the two example files and node_modules/policygrad pointing at this package. */
const project = mkdtempSync(join(tmpdir(), 'policygrad-project-'));
mkdirSync(join(project, 'node_modules'));
symlinkSync(root, join(project, 'node_modules', 'policygrad'), 'dir');
for (const file of readdirSync(join(root, 'examples')))
  copyFileSync(join(root, 'examples', file), join(project, file));
afterAll(() => rmSync(project, { recursive: true, force: true }));

describe('README: Use it in your project', () => {
  it('shows every example file exactly, each block named by its first line', () => {
    const shown = blocks.filter((b) => b.lang === 'js');
    expect(shown.map((b) => /^\/\/ ([\w.-]+\.js):/.exec(b.code)?.[1])).toEqual([
      'corridor.js',
      'train-corridor.js',
    ]);
    for (const block of shown) {
      const name = /^\/\/ ([\w.-]+\.js):/.exec(block.code)![1];
      expect(block.code).toBe(readFileSync(join(root, 'examples', name), 'utf8'));
    }
    expect(readdirSync(join(root, 'examples')).sort()).toEqual(['corridor.js', 'train-corridor.js']);
    expect(section).toContain('this.reseed(options.seed)');
    expect(section).toContain('this.rng');
    expect(section).toContain('checkEnv');
  });

  it('the API example checks the env and trains it (PPO, envs on worker threads) to the goal', () => {
    const out = execFileSync('node', ['train-corridor.js'], { cwd: project, encoding: 'utf8' });
    // Walking straight right returns 1 − 0.01·(steps − 1) ≥ 0.94 from any start cell; a random walk takes tens of
    // steps (returns around 0.5). Seeded, so this is one fixed outcome, not a sample.
    expect(Number(/^mean return (-?[\d.]+)$/m.exec(out)?.[1])).toBeGreaterThanOrEqual(0.9);
    expect(readdirSync(join(project, 'models', 'corridor')).sort()).toEqual(['model.json', 'policy.json']);
  });

  it('the command lines train with --import (PPO and A3C) and eval re-imports the recorded module', () => {
    const commands = blocks
      .filter((b) => b.lang === 'sh' && b.code.includes('--import'))
      .flatMap((b) => b.code.trim().split('\n'));
    expect(commands).toHaveLength(3);
    const outputs = commands.map((line) => {
      const [npx, policygrad, ...args] = line.split(/\s+/);
      expect([npx, policygrad]).toEqual(['npx', 'policygrad']);
      return execFileSync('node', [join(root, 'dist', 'cli', 'main.js'), ...args], {
        cwd: project,
        encoding: 'utf8',
      });
    });
    const config = JSON.parse(
      readFileSync(join(project, 'runs', 'ppo-Corridor-v0-seed0', 'config.json'), 'utf8'),
    );
    const url = new URL('corridor.js', `file://${project}/`).href;
    expect(config.imports).toEqual([url]);
    expect(config.config.envModules).toEqual([url]);
    expect(outputs[1]).toMatch(/^a3c on Corridor-v0/);
    const evaluation = /^10 episodes: return (-?[\d.]+)/m.exec(outputs[2]);
    expect(Number(evaluation?.[1])).toBeGreaterThanOrEqual(0.9);
  });
});
