/**
 * The recurrent actor-critic policy: its gradient through time against central finite differences (float64,
 * an episode start inside a sequence, non-zero initial states, every critic form, LSTM and GRU, an encoder, both
 * action kinds); the reset of the state at episode starts; the replay of stored sequences equal to the steps
 * taken one at a time (what training relies on to recompute the rollout's log-probabilities).
 */
import { describe, expect, it } from 'vitest';
import {
  type ActResult,
  Box,
  Discrete,
  type Floats,
  RecurrentActorCriticPolicy,
  type RecurrentActorCriticOptions,
  type RecurrentCell,
  Rng,
  SequenceLayout,
  type Space,
} from '../src/internal.js';

const OBS = 3;

function makePolicy(
  cell: RecurrentCell,
  critic: 'own' | 'shared' | 'none',
  actionSpace: Space,
  extra: Partial<RecurrentActorCriticOptions> = {},
): RecurrentActorCriticPolicy {
  return new RecurrentActorCriticPolicy(
    {
      observationSpace: new Box({ low: [-1, -1, -1], high: [1, 1, 1] }),
      actionSpace,
      cell,
      hiddenSize: 4,
      encoder: [5],
      netArch: [6],
      enableCriticLstm: critic === 'own',
      sharedLstm: critic === 'shared',
      orthogonalInit: false,
      dtype: 'float64',
      ...extra,
    },
    Rng.fromSeed(3),
  );
}

/** Two sequences: 5 steps with an episode start at step 2, and 3 steps from a start; random initial states. */
function makeLayout(policy: RecurrentActorCriticPolicy, rng: Rng): SequenceLayout {
  const layout = new SequenceLayout(8, 2, policy.statePlanes, policy.hiddenSize);
  layout.clear();
  for (const [length, startAt] of [
    [5, 2],
    [3, 0],
  ]) {
    const j = layout.beginSequence();
    for (let t = 0; t < length; t++) layout.pushRow(t === startAt);
    for (let p = 0; p < policy.statePlanes; p++) {
      const plane = layout.initial.plane(p);
      for (let k = 0; k < policy.hiddenSize; k++) plane[j * policy.hiddenSize + k] = rng.normal(0, 0.5);
    }
  }
  layout.finish();
  return layout;
}

interface Problem {
  policy: RecurrentActorCriticPolicy;
  layout: SequenceLayout;
  observations: Float64Array;
  actions: Float64Array;
  wLogProb: Float64Array;
  wValue: Float64Array;
}

function makeProblem(
  cell: RecurrentCell,
  critic: 'own' | 'shared' | 'none',
  actionSpace: Space,
  extra: Partial<RecurrentActorCriticOptions> = {},
): Problem {
  const policy = makePolicy(cell, critic, actionSpace, extra);
  const rng = Rng.fromSeed(11);
  for (let k = 0; k < policy.params.length; k++) policy.params[k] += rng.normal(0, 0.1); // no zero biases
  const layout = makeLayout(policy, rng);
  const rows = layout.rows;
  const observations = Float64Array.from({ length: rows * OBS }, () => rng.normal(0, 1));
  const A = policy.dist.actionSize;
  const actions = new Float64Array(rows * A);
  for (let k = 0; k < actions.length; k++) {
    actions[k] = actionSpace instanceof Discrete ? rng.integer(0, actionSpace.n) : rng.normal(0, 1);
  }
  const wLogProb = Float64Array.from({ length: rows }, () => rng.normal(0, 1));
  const wValue = Float64Array.from({ length: rows }, () => rng.normal(0, 1));
  return { policy, layout, observations, actions, wLogProb, wValue };
}

/** L = Σ_r wLogProb_r·log π(a_r | o_≤r) + Σ_r wValue_r·V(o_≤r). */
function loss({ policy, layout, observations, actions, wLogProb, wValue }: Problem): number {
  const rows = layout.rows;
  const logProbs = new Float64Array(rows);
  policy.dist.logProb(policy.sequenceDistInputs(layout, observations), actions, rows, logProbs);
  const values = policy.sequenceValues(layout, observations);
  let sum = 0;
  for (let r = 0; r < rows; r++) sum += wLogProb[r] * logProbs[r] + wValue[r] * values[r];
  return sum;
}

function analyticGradient({
  policy,
  layout,
  observations,
  actions,
  wLogProb,
  wValue,
}: Problem): Float64Array {
  const rows = layout.rows;
  policy.zeroGrad();
  const inputs = policy.sequenceDistInputs(layout, observations);
  const gradInputs = new Float64Array(rows * policy.dist.inputSize);
  policy.dist.gradLogProb(inputs, actions, rows, wLogProb, gradInputs);
  policy.sequenceBackwardActor(layout, gradInputs);
  policy.sequenceValues(layout, observations);
  policy.sequenceBackwardCritic(layout, wValue);
  return Float64Array.from(policy.grads);
}

function finiteDifferences(problem: Problem): Float64Array {
  const { params } = problem.policy;
  const h = 1e-6;
  const out = new Float64Array(params.length);
  for (let k = 0; k < params.length; k++) {
    const saved = params[k];
    params[k] = saved + h;
    const plus = loss(problem);
    params[k] = saved - h;
    const minus = loss(problem);
    params[k] = saved;
    out[k] = (plus - minus) / (2 * h);
  }
  return out;
}

function expectClose(analytic: Floats, numeric: Floats): void {
  let worst = 0;
  for (let k = 0; k < analytic.length; k++) {
    // central differences in float64: error O(h²) + rounding ε·|L|/h ≈ 1e-9; 1e-6 leaves room, and a wrong
    // term (a missed path through time is O(0.01–1)) is far above it.
    const err = Math.abs(analytic[k] - numeric[k]) / Math.max(1, Math.abs(numeric[k]));
    worst = Math.max(worst, err);
  }
  expect(worst).toBeLessThan(1e-6);
}

describe('RecurrentActorCriticPolicy gradient through time', () => {
  const cases: [RecurrentCell, 'own' | 'none', Space][] = [
    ['lstm', 'own', new Discrete(3)],
    ['gru', 'own', new Box({ low: [-1, -1], high: [1, 1] })],
    ['lstm', 'none', new Box({ low: [-1, -1], high: [1, 1] })],
    ['gru', 'none', new Discrete(3)],
  ];
  for (const [cell, critic, space] of cases) {
    it(`${cell}, critic ${critic}, ${space.toString()}: matches finite differences`, () => {
      const problem = makeProblem(cell, critic, space);
      expectClose(analyticGradient(problem), finiteDifferences(problem));
    });
  }

  it('no encoder: matches finite differences', () => {
    const problem = makeProblem('lstm', 'own', new Discrete(3), { encoder: [] });
    expectClose(analyticGradient(problem), finiteDifferences(problem));
  });

  it('shared cell: the policy loss reaches the cell, the value loss only the critic MLP (sb3-contrib detaches)', () => {
    const problem = makeProblem('lstm', 'shared', new Discrete(3));
    const { wValue } = problem;
    problem.wValue = new Float64Array(wValue.length);
    expectClose(analyticGradient(problem), finiteDifferences(problem));
    // The value loss alone: a gradient in the critic MLP's parameters and nowhere else.
    problem.wLogProb = new Float64Array(wValue.length);
    problem.wValue = wValue;
    const grads = analyticGradient(problem);
    const numeric = finiteDifferences(problem);
    const head = problem.policy.criticHead.numParams;
    const n = grads.length;
    expectClose(grads.subarray(n - head), numeric.subarray(n - head));
    expect(grads.subarray(0, n - head).every((g) => g === 0)).toBe(true);
    expect(numeric.subarray(0, n - head).some((g) => Math.abs(g) > 1e-3)).toBe(true); // the cell does move V
  });
});

describe('RecurrentActorCriticPolicy sequence view (what the loss loop calls)', () => {
  for (const critic of ['own', 'shared', 'none'] as const) {
    it(`critic ${critic}, with an encoder: the loop's order (actor, critic, then both backward) gives the same gradient`, () => {
      const problem = makeProblem('lstm', critic, new Discrete(3), { dtype: 'float32' });
      const { policy, layout, wLogProb } = problem;
      const obs = Float32Array.from(problem.observations);
      const acts = Float32Array.from(problem.actions);
      const wValue = Float32Array.from(problem.wValue);
      const rows = layout.rows;
      const gradInputs = new Float32Array(rows * policy.dist.inputSize);
      const gradient = (order: 'actor first' | 'loop') => {
        policy.zeroGrad();
        gradInputs.fill(0);
        const view = policy.sequenceView(layout);
        const inputs = Float32Array.from(view.distInputs(obs, rows));
        policy.dist.gradLogProb(inputs, acts, rows, wLogProb, gradInputs);
        if (order === 'actor first') {
          view.backwardActor(gradInputs, rows);
          view.values(obs, rows);
        } else {
          view.values(obs, rows); // accumulateLoss's order: both forward passes, then both backward passes
          view.backwardActor(gradInputs, rows);
        }
        view.backwardCritic(wValue, rows);
        return Array.from(policy.grads);
      };
      const expected = gradient('actor first');
      expect(expected.some((g) => g !== 0)).toBe(true);
      expect(gradient('loop')).toEqual(expected);
      const view = policy.sequenceView(layout);
      expect(() => view.values(obs, rows - 1)).toThrow(/rows given, the layout has/);
    });
  }
});

describe('RecurrentActorCriticPolicy with gSDE', () => {
  it('σ from the actor MLP’s last hidden layer: the gradients of ℓ and of the last layer match finite differences', () => {
    // gSDE detaches the features (gsde.ts), so only the parameters downstream of them have the full loss's
    // gradient: the log σ matrix ℓ and the actor MLP's last layer (which computes the mean from the features).
    const problem = makeProblem('lstm', 'own', new Box({ low: [-1, -1], high: [1, 1] }), { useSde: true });
    const { policy } = problem;
    expect(policy.sde).not.toBeNull();
    const analytic = analyticGradient(problem);
    const numeric = finiteDifferences(problem);
    const head = policy.actorHead;
    const last = head.layers[head.layers.length - 1];
    const lastLayerSize = last.nIn * last.nOut + last.nOut;
    const logStdCount = policy.sde?.paramCount ?? 0;
    expect(logStdCount).toBe(6 * 2); // features (netArch [6]) × actions
    // [encoder | cell | actor MLP | ℓ | …]: the actor MLP's last layer ends where ℓ starts.
    const start = (policy.encoder?.numParams ?? 0) + 4 * 4 * (5 + 4 + 2) + head.numParams - lastLayerSize;
    const end = start + lastLayerSize + logStdCount;
    expectClose(analytic.subarray(start, end), numeric.subarray(start, end));
    expect(analytic.subarray(end - logStdCount, end).some((g) => Math.abs(g) > 1e-3)).toBe(true);
  });

  it('samples μ + z(s)ᵀE with one exploration matrix per env, fixed until resetNoise', () => {
    const policy = makePolicy('gru', 'own', new Box({ low: [-1, -1], high: [1, 1] }), { useSde: true });
    const rng = Rng.fromSeed(4);
    policy.resetNoise(2, rng);
    const out: ActResult = {
      actions: new Float32Array(4),
      logProbs: new Float32Array(2),
      values: new Float32Array(2),
    };
    const obs = new Float64Array([0.1, 0.2, 0.3, 0.1, 0.2, 0.3]);
    const run = () => {
      const state = policy.initialState(2);
      policy.act(obs, 2, rng, out, false, state, [1, 1]);
      return Array.from(out.actions);
    };
    const first = run();
    expect(run()).toEqual(first); // the same state and matrices: the same noise
    expect(first.slice(0, 2)).not.toEqual(first.slice(2)); // each env its own matrix
    policy.resetNoise(2, rng);
    expect(run()).not.toEqual(first);
  });
});

describe('RecurrentActorCriticPolicy state', () => {
  function stepper(cell: RecurrentCell) {
    const policy = new RecurrentActorCriticPolicy(
      {
        observationSpace: new Box({ low: [-1, -1, -1], high: [1, 1, 1] }),
        actionSpace: new Discrete(3),
        cell,
        hiddenSize: 8,
        netArch: [16],
      },
      Rng.fromSeed(5),
    );
    const out: ActResult = {
      actions: new Float32Array(2),
      logProbs: new Float32Array(2),
      values: new Float32Array(2),
    };
    return { policy, out };
  }

  for (const cell of ['lstm', 'gru'] as const) {
    it(`${cell}: an episode start resets one env's state to zero before its step, the other env keeps its own`, () => {
      const { policy, out } = stepper(cell);
      const rng = Rng.fromSeed(1);
      const state = policy.initialState(2);
      const obs = Float32Array.from({ length: 6 }, () => rng.normal(0, 1));
      for (let t = 0; t < 4; t++)
        policy.act(obs, 2, rng, out, true, state, [t === 0 ? 1 : 0, t === 0 ? 1 : 0]);
      expect(state.plane(0).some((h) => h !== 0)).toBe(true);
      const carried = state.plane(0).slice(8, 16);
      const next = Float32Array.from({ length: 6 }, () => rng.normal(0, 1));
      policy.act(next, 2, rng, out, true, state, [1, 0]);
      const afterReset = {
        logProb: out.logProbs[0],
        value: out.values[0],
        state: Float32Array.from(state.data),
      };
      // The same observation from a zero state, without a start flag: the same outputs and next state.
      const fresh = policy.initialState(2);
      fresh.copyRow(state, 1, 1); // irrelevant to env 0
      policy.act(next, 2, rng, out, true, fresh, [0, 1]);
      expect(out.logProbs[0]).toBe(afterReset.logProb);
      expect(out.values[0]).toBe(afterReset.value);
      for (let p = 0; p < policy.statePlanes; p++) {
        expect(fresh.plane(p).slice(0, 8)).toEqual(afterReset.state.subarray(p * 16, p * 16 + 8));
      }
      // Env 1 carried its state: different from a reset.
      expect(carried.some((h) => h !== 0)).toBe(true);
    });
  }

  it('replaying a stored sequence gives the log-probabilities and values of the steps taken one at a time', () => {
    const { policy, out } = stepper('lstm');
    const rng = Rng.fromSeed(2);
    const T = 7;
    const state = policy.initialState(2);
    // Warm the state up, so the replay must start from a stored non-zero state.
    const warm = Float32Array.from({ length: 6 }, () => rng.normal(0, 1));
    policy.act(warm, 2, rng, out, false, state, [1, 1]);
    const layout = new SequenceLayout(2 * T, 2, policy.statePlanes, policy.hiddenSize);
    layout.clear();
    for (let i = 0; i < 2; i++) {
      layout.beginSequence();
      layout.initial.copyRow(state, i, i);
    }
    const observations = new Float32Array(2 * T * 3);
    const actions = new Float32Array(2 * T);
    const logProbs = new Float32Array(2 * T);
    const values = new Float32Array(2 * T);
    const starts: number[][] = [];
    for (let t = 0; t < T; t++) {
      const obs = Float32Array.from({ length: 6 }, () => rng.normal(0, 1));
      const flags = [t === 3 ? 1 : 0, t === 5 ? 1 : 0];
      starts.push(flags);
      policy.act(obs, 2, rng, out, false, state, flags);
      for (let i = 0; i < 2; i++) {
        const r = i * T + t; // rows sequence by sequence
        observations.set(obs.subarray(i * 3, i * 3 + 3), r * 3);
        actions[r] = out.actions[i];
        logProbs[r] = out.logProbs[i];
        values[r] = out.values[i];
      }
    }
    // Rows in sequence order: sequence 0's T steps, then sequence 1's.
    layout.clear();
    for (let i = 0; i < 2; i++) {
      layout.beginSequence();
      for (let t = 0; t < T; t++) layout.pushRow(starts[t][i] === 1);
    }
    layout.finish();
    const replayed = new Float64Array(2 * T);
    policy.dist.logProb(policy.sequenceDistInputs(layout, observations), actions, 2 * T, replayed);
    const replayedValues = policy.sequenceValues(layout, observations);
    for (let r = 0; r < 2 * T; r++) {
      expect(replayed[r]).toBeCloseTo(logProbs[r], 5);
      expect(replayedValues[r]).toBeCloseTo(values[r], 5);
    }
  });

  it('predict advances the state in place and episodeStart resets it', () => {
    const { policy } = stepper('gru');
    const obs = new Float32Array([0.5, -0.2, 0.1]);
    const state = policy.initialState(1);
    expect(typeof policy.predict(obs, { state, episodeStart: true })).toBe('number');
    const afterOne = Array.from(state.data);
    expect(afterOne.some((h) => h !== 0)).toBe(true);
    policy.predict(obs, { state });
    expect(Array.from(state.data)).not.toEqual(afterOne);
    policy.predict(obs, { state, episodeStart: true }); // forget: as after the first step
    expect(Array.from(state.data)).toEqual(afterOne);
    expect(() => policy.predict(obs, { state: policy.initialState(2) })).toThrow(/state is for 2 agent/);
  });

  it('refuses a critic with both a shared and an own cell', () => {
    expect(
      () =>
        new RecurrentActorCriticPolicy(
          {
            observationSpace: new Box({ low: [-1], high: [1] }),
            actionSpace: new Discrete(2),
            sharedLstm: true,
            enableCriticLstm: true,
          },
          Rng.fromSeed(0),
        ),
    ).toThrow(/choose one/);
  });
});
