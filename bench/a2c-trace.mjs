// One A2C update, and then a few thousand, through policygrad and through Stable-Baselines3 on the same data
// (issue 21, A2C `zoo` MountainCar-v0). bench/lib/sb3_a2c_trace.py records an SB3 run (the zoo's entry: 16 envs × 5
// steps, VecNormalize, RMSprop α 0.99 ε 1e-5, clip 0.5, vf 0.5, ent 0, lr 7e-4, λ 1): its initial parameters, the
// raw env stream with the actions SB3 sampled, and per update the statistics, losses, gradient and parameters.
// This script replays the raw stream through our VecNormalize and RolloutCollector (the recorded actions instead
// of sampled ones) and our A2C update rule, three times: one update from SB3's recorded state at each update it
// recorded in full (every quantity compared), windows of 25 updates from SB3's state over the whole stream, and
// the whole stream from SB3's initial parameters alone (informative). It also steps our MountainCar-v0 with the
// recorded actions from Gymnasium's first observations and compares the raw stream (the env itself). Exit 1 when
// a quantity differs beyond float32 rounding.
// Usage:
//   OMP_NUM_THREADS=1 PYTHONPATH=<SB3> python3 bench/lib/sb3_a2c_trace.py 1 2000 /tmp/trace.json
//   npm run bench:a2c-trace -- /tmp/trace.json
import { readFileSync } from 'node:fs';
import {
  A2C,
  a2cOptimizer,
  advantagesAndReturns,
  createA2CUpdate,
  make,
  RolloutBuffer,
  RolloutCollector,
  Rng,
  VecNormalize,
} from '../dist/internal.js';

const trace = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const N = 16;
const STEPS = 5;
const OBS = 2;

/** Largest |a − b| and largest |a − b| / max(|b|, 1e-6) over two equal-length lists. */
function diff(a, b) {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let abs = 0;
  let rel = 0;
  for (let k = 0; k < a.length; k++) {
    const d = Math.abs(a[k] - b[k]);
    abs = Math.max(abs, d);
    rel = Math.max(rel, d / Math.max(Math.abs(b[k]), 1e-6));
  }
  return { abs, rel };
}
function compare(rows, update, name, ours, theirs) {
  const { abs, rel } = diff(Array.from(ours), Array.from(theirs));
  rows.push({ update, name, abs, rel });
}
const norm = (xs) => Math.sqrt(Array.from(xs).reduce((s, x) => s + x * x, 0));

// --- The env itself: our MountainCar-v0 stepped with SB3's actions, each episode started from Gymnasium's first
// observation (our generator is not NumPy's, and the float64 start is only known to float32 precision).
{
  const envs = Array.from({ length: N }, () => make('MountainCar-v0'));
  const start = (e, obs) => {
    e.reset({ seed: 0 });
    e.unwrapped.state = Float64Array.from(obs);
  };
  envs.forEach((e, i) => start(e, trace.resets[0].obs[i]));
  let worst = 0;
  let endings = 0;
  let mismatches = 0;
  for (const step of trace.steps) {
    envs.forEach((e, i) => {
      const r = e.step(step.actions[i]);
      const done = r.terminated || r.truncated;
      if (done !== step.dones[i] || r.truncated !== step.truncated[i] || r.reward !== step.rewards[i])
        mismatches++;
      worst = Math.max(
        worst,
        diff(Array.from(r.observation), step.dones[i] ? step.terminal[i] : step.obs[i]).abs,
      );
      if (step.dones[i]) {
        endings++;
        start(e, step.obs[i]);
      }
    });
  }
  console.log(
    `env: ${trace.steps.length} vector steps, ${endings} episode ends; rewards/dones differing: ${mismatches}; observations max |Δ| ${worst.toExponential(2)}`,
  );
}

// --- The recorded raw stream as a vector env (what VecNormalize wraps).
const spaces = make('MountainCar-v0');
class ReplayVectorEnv {
  numEnvs = N;
  obsDim = OBS;
  singleObservationSpace = spaces.observationSpace;
  singleActionSpace = spaces.actionSpace;
  t = 0;
  reset() {
    return { observations: Float32Array.from(trace.resets[0].obs.flat()), infos: [] };
  }
  step(actions) {
    const s = trace.steps[this.t++];
    for (let i = 0; i < N; i++) {
      if (actions[i] !== s.actions[i])
        throw new Error(`step ${this.t - 1}: action ${actions[i]} vs ${s.actions[i]}`);
    }
    const truncated = Uint8Array.from(s.truncated, Number);
    const terminated = Uint8Array.from(s.dones, (d, i) => (d && !s.truncated[i] ? 1 : 0));
    return {
      observations: Float32Array.from(s.obs.flat()),
      rewards: Float64Array.from(s.rewards),
      terminated,
      truncated,
      info: {
        finalObservation: s.terminal.map((o) => (o === null ? null : Float32Array.from(o))),
        finalInfo: s.terminal.map(() => null),
        envInfos: s.terminal.map(() => ({})),
      },
    };
  }
  close() {}
}

const model = new A2C({ env: 'MountainCar-v0', preset: 'zoo', seed: trace.seed });
const config = model.config;
const policy = model.parts.policy;
if (policy.numParams !== trace.initialParams.length) {
  throw new Error(`parameter count ${policy.numParams} vs SB3's ${trace.initialParams.length}`);
}
// Our initialisation against SB3's (orthogonal, gains √2 hidden, 0.01 policy head, 1 value head, zero biases): an
// orthogonal [out × in] matrix of gain g has Frobenius norm g·√min(out, in).
{
  const shapes = [
    [64, 2],
    [64, 64],
    [3, 64],
    [64, 2],
    [64, 64],
    [1, 64],
  ];
  const norms = (params) => {
    let offset = 0;
    return shapes.map(([o, i]) => {
      const w = norm(params.slice(offset, offset + o * i));
      const b = norm(params.slice(offset + o * i, offset + o * i + o));
      offset += o * i + o;
      return `${w.toFixed(4)}/${b}`;
    });
  };
  console.log(`init ‖W‖/‖b‖ per layer, ours: ${norms(Array.from(policy.params)).join(' ')}`);
  console.log(`init ‖W‖/‖b‖ per layer, SB3:  ${norms(trace.initialParams).join(' ')}`);
}
const n = STEPS * N;
const detail = trace.updates.flatMap((u, k) => (u.observations !== undefined ? [k] : []));

/**
 * Replays the stream through a fresh copy of our pipeline from SB3's initial parameters. `mode` 'step': each
 * update in full starts from SB3's parameters and RMSprop averages (one update from an identical state, however
 * late); 'window': every update after one whose state SB3 recorded (every 25th) starts from that state, so each
 * window is 25 updates from SB3's state; 'free': the parameters are ours throughout.
 */
function replayStream(mode) {
  const rows = [];
  policy.params.set(trace.initialParams);
  const replay = new ReplayVectorEnv();
  const env = new VecNormalize(replay, { gamma: config.gamma, copy: false });
  // The policy, acting with SB3's recorded actions (their log-probabilities and values are ours).
  const actor = {
    dist: policy.dist,
    squashOutput: policy.squashOutput,
    sde: policy.sde,
    resetNoise: () => {},
    act(observations, batch, _rng, out) {
      const inputs = policy.distInputs(observations, batch);
      const recorded = trace.steps[replay.t].actions;
      for (let i = 0; i < batch; i++) out.actions[i] = recorded[i];
      policy.dist.logProb(inputs, out.actions, batch, out.logProbs);
      out.values.set(policy.values(observations, batch));
    },
    values: (observations, batch) => policy.values(observations, batch),
  };
  const collector = new RolloutCollector(env, actor, Rng.fromSeed(0));
  const buffer = new RolloutBuffer(STEPS, N, OBS, 1);
  const optimizer = a2cOptimizer(policy.numParams, config);
  const rule = createA2CUpdate({ policy }, config, optimizer);
  // The same rule without the clip and with an optimizer that only records: the gradient before clipping.
  let recorded = null;
  const probe = createA2CUpdate(
    { policy },
    { ...config, maxGradNorm: null },
    { learningRate: 0, step: (_target, grads) => (recorded = Float64Array.from(grads)) },
  );
  const advantages = new Float64Array(n);
  const returns = new Float64Array(n);

  for (let k = 0; k < trace.updates.length; k++) {
    const ref = trace.updates[k];
    const full = ref.observations !== undefined;
    const previous = trace.updates[k - 1];
    if (mode === 'window' && previous?.squareAverages !== undefined) {
      policy.params.set(previous.params);
      const state = optimizer.getState();
      optimizer.setState({ ...state, buffers: [previous.squareAverages] });
    }
    if (mode === 'step' && full) {
      policy.params.set(ref.paramsBefore);
      const state = optimizer.getState();
      optimizer.setState({ ...state, buffers: [ref.squareAveragesBefore] });
    }
    collector.collectSteps(buffer);
    compare(
      rows,
      k,
      'obs_rms mean, var, count',
      [...env.obsRms.mean, ...env.obsRms.var, env.obsRms.count],
      [...ref.obsRms.mean, ...ref.obsRms.var, ref.obsRms.count],
    );
    compare(
      rows,
      k,
      'ret_rms mean, var, count',
      [...env.returnRms.mean, ...env.returnRms.var, env.returnRms.count],
      [...ref.retRms.mean, ...ref.retRms.var, ref.retRms.count],
    );
    if (full) {
      compare(rows, k, 'normalised observations', buffer.observations, ref.observations);
      // SB3 adds γ·V(terminal observation) to the normalised reward of a truncated step.
      const rewards = Array.from(buffer.rewards, (r, j) =>
        buffer.truncated[j] && !buffer.terminated[j] ? r + config.gamma * buffer.finalValues[j] : r,
      );
      compare(rows, k, 'rewards (+ γ·V(terminal) at truncations)', rewards, ref.rewards);
      compare(rows, k, 'values V(s_t)', buffer.values, ref.values);
      compare(rows, k, 'log π(a_t|s_t)', buffer.logProbs, ref.logProbs);
      advantagesAndReturns(buffer, config.gamma, config.gaeLambda, advantages, returns, 'bootstrap');
      compare(rows, k, 'returns', returns, ref.returns);
      compare(rows, k, 'advantages', advantages, ref.advantages);
      const m = probe.update(buffer, 1);
      compare(rows, k, 'gradient before clipping', recorded, ref.gradBefore);
      compare(rows, k, 'global gradient norm', [norm(recorded)], [ref.gradNorm]);
      compare(rows, k, 'value loss', [m.valueLoss], [ref.valueLoss]);
      // SB3 logs −mean(Â·log π); our row's policyLoss is the surrogate's value −mean(r·Â) at r = 1 (the same
      // gradient, compared above). SB3's number from our rollout:
      const logged = -advantages.reduce((sum, a, j) => sum + a * buffer.logProbs[j], 0) / n;
      compare(rows, k, "policy loss in SB3's form −mean(Â·log π)", [logged], [ref.policyLoss]);
      const scale = Math.min(1, config.maxGradNorm / (norm(recorded) + 1e-6)); // torch's clip_coef
      const clipped = recorded.map((g) => g * scale);
      compare(rows, k, 'gradient after clipping', clipped, ref.gradAfter);
    }
    rule.update(buffer, 1);
    if (mode === 'step' && full) {
      // The step itself, ours against SB3's: ‖Δθ − Δθ_SB3‖ / ‖Δθ_SB3‖, and the component of the difference
      // along SB3's step (a different step size would show here, averaged over every parameter).
      const ours = Array.from(policy.params, (x, i) => x - ref.paramsBefore[i]);
      const theirs = ref.params.map((x, i) => x - ref.paramsBefore[i]);
      const error = ours.map((x, i) => x - theirs[i]);
      const along = error.reduce((sum, e, i) => sum + e * theirs[i], 0) / norm(theirs) ** 2;
      rows.push({ update: k, name: '‖Δθ − Δθ_SB3‖ / ‖Δθ_SB3‖', abs: norm(error) / norm(theirs), rel: 0 });
      rows.push({ update: k, name: 'step size, ours / SB3 − 1', abs: Math.abs(along), rel: 0, value: along });
    }
    if (ref.params !== undefined) compare(rows, k, 'parameters after the step', policy.params, ref.params);
    compare(rows, k, '‖θ‖ after the step', [norm(policy.params)], [ref.paramNorm]);
    rows.push({ update: k, name: '‖θ‖ ours', abs: 0, rel: 0, value: norm(policy.params) });
  }
  return rows;
}

// One update from an identical state: every quantity to float32 rounding (|Δ| or relative Δ ≤ 1e-5).
const oneStep = replayStream('step').filter((r) => detail.includes(r.update));
console.log(`one update from SB3's state (updates ${detail.join(', ')}): max |Δ| (max relative Δ)`);
for (const r of oneStep) {
  console.log(
    `  ${String(r.update).padStart(3)} ${r.name.padEnd(42)} ${r.abs.toExponential(2)} (${r.rel.toExponential(2)})`,
  );
}
const failures = oneStep.filter((r) => r.abs > 1e-5 && r.rel > 1e-5);
// 25 updates from SB3's state, over the whole stream: a difference in any one update (a rare event: the goal
// reached, a gradient under the clip) would show at the window's end; rounding alone stays near 1e-6. (A window
// starts after every update whose state SB3 recorded: 25 updates, fewer near the updates in full.)
const windows = replayStream('window').filter(
  (r) => r.name === 'parameters after the step' && trace.updates[r.update - 25]?.squareAverages !== undefined,
);
if (windows.length > 0) {
  const worstWindow = windows.reduce((w, r) => (r.abs > w.abs ? r : w));
  console.log(
    `${windows.length} windows of up to 25 updates from SB3's state: parameters max |Δ| ${worstWindow.abs.toExponential(2)} (the window ending at update ${worstWindow.update})`,
  );
  failures.push(...windows.filter((r) => r.abs > 1e-4));
}
// The whole stream from the initial parameters alone: informative only. The rounding differences grow, and once
// our parameters leave SB3's, SB3's recorded actions are off-policy for ours and the two drift apart.
const free = replayStream('free').filter((r) => r.name === '‖θ‖ ours');
const checkpoints = [0, 39, 299, 999, 1999].filter((k) => k < free.length);
console.log(
  `free run from SB3's initial parameters, ‖θ‖ ours / SB3: ${checkpoints
    .map((k) => `update ${k} ${free[k].value.toFixed(6)} / ${trace.updates[k].paramNorm.toFixed(6)}`)
    .join(', ')}`,
);
if (failures.length > 0) {
  for (const r of failures)
    console.log(`DIFFERS: update ${r.update} ${r.name}: |Δ| ${r.abs.toExponential(2)}`);
  process.exitCode = 1;
} else console.log('every quantity agrees within float32 rounding');
