/** The live table of a sweep: every trial, or on a small terminal the running ones first and a count of the rest. */
import { describe, expect, it } from 'vitest';
import { formatProgress } from '../src/cli/sweep.js';
import type { TrialState } from '../src/node/sweep/record.js';

const trial = (id: string, status: TrialState['status'], step: number): TrialState => ({
  id,
  config: 0,
  params: { learningRate: 0.001 },
  seed: 0,
  runDir: `sweeps/x/trials/${id}`,
  status,
  step,
  lastReturn: step > 0 ? step / 100 : null,
  finalEval: status === 'completed' ? 500 : null,
  wallTimeS: null,
  resumes: 0,
});

describe('sweep progress table', () => {
  const states = [
    trial('c00-seed1', 'completed', 4000),
    trial('c00-seed2', 'pruned', 1000),
    trial('c01-seed1', 'running', 2000),
    trial('c01-seed2', 'pending', 0),
  ];

  it('shows every trial with its progress, return and final evaluation', () => {
    expect(formatProgress(states, 4000).split('\n')).toEqual([
      'trial      learningRate  status     steps  return  final eval',
      '---------  ------------  ---------  -----  ------  ----------',
      'c00-seed1  0.00100       completed  100%   40.0    500.0',
      'c00-seed2  0.00100       pruned     25%    10.0    —',
      'c01-seed1  0.00100       running    50%    20.0    —',
      'c01-seed2  0.00100       pending    0%     —       —',
      '1/4 completed, 1 running, 0 failed, 1 pruned, 1 pending',
    ]);
  });

  it('fits a small terminal: running trials first, then ended ones, and how many are hidden', () => {
    const lines = formatProgress(states, 4000, 2).split('\n');
    expect(lines.slice(2, 4).map((l) => l.split(' ')[0])).toEqual(['c01-seed1', 'c00-seed1']);
    expect(lines.slice(4)).toEqual([
      '… 2 more (policygrad sweep --status shows all)',
      '1/4 completed, 1 running, 0 failed, 1 pruned, 1 pending',
    ]);
  });
});
