/**
 * Golden rows of RecurrentPPO: short runs whose metrics rows (timing columns aside) and final parameters pin the
 * recurrent update bit for bit, as test/golden-rows.test.ts does for the feed-forward algorithms. Recorded before
 * RecurrentPPO's epoch loop became PPO's (one loop with a minibatch plan), so that refactor is checked against the
 * loop it replaced. `GOLDEN_RECORD=1 npx vitest run test/recurrent-golden-rows.test.ts` records them into
 * test/fixtures/recurrent-golden-rows.json; re-record only when the math changes on purpose, and say so in the commit.
 */
import { describeGoldenRows, type GoldenCase } from './golden-rows.js';

const CASES: GoldenCase[] = [
  {
    // the clipped objective, LSTM with its own critic LSTM, windows that divide the rollout
    name: 'recurrent-ppo-cartpole-novel-lstm',
    algo: 'recurrent-ppo',
    config: {
      env: 'CartPoleNoVel-v1',
      seed: 11,
      numEnvs: 2,
      nSteps: 32,
      batchSize: 32,
      nEpochs: 2,
      hiddenSize: 8,
      netArch: [8],
      learningRate: 0.02,
    },
    totalTimesteps: 192,
  },
  {
    // GRU with an encoder, the KL objectives (π_old and the measured KL over the whole rollout), value clipping,
    // the target-KL stop, normalisation, a window size that leaves a short last minibatch
    name: 'recurrent-ppo-pendulum-novel-gru-kl',
    algo: 'recurrent-ppo',
    config: {
      env: 'PendulumNoVel-v1',
      seed: 12,
      numEnvs: 3,
      nSteps: 20,
      batchSize: 25,
      nEpochs: 3,
      cell: 'gru',
      hiddenSize: 8,
      encoder: [8],
      netArch: [8],
      objective: 'clip+kl',
      clipRangeVf: 0.2,
      targetKl: 0.002,
      learningRate: 0.05,
      normalize: true,
    },
    totalTimesteps: 240,
  },
  {
    // the critic on the actor's cell, the plain objective, no advantage normalisation, a linear learning rate
    name: 'recurrent-ppo-cartpole-shared-lstm',
    algo: 'recurrent-ppo',
    config: {
      env: 'CartPole-v1',
      seed: 13,
      numEnvs: 2,
      nSteps: 16,
      batchSize: 16,
      nEpochs: 2,
      hiddenSize: 8,
      netArch: [8],
      sharedLstm: true,
      objective: 'kl-penalty',
      normalizeAdvantage: false,
      learningRate: 'lin_0.003',
    },
    totalTimesteps: 96,
  },
];

describeGoldenRows(
  'golden rows: RecurrentPPO reproduces its recorded rows and final parameters bit for bit',
  CASES,
  new URL('./fixtures/recurrent-golden-rows.json', import.meta.url),
);
