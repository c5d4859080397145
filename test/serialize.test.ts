import { describe, expect, it } from 'vitest';
import { ActorCriticPolicy, exportPolicy, importPolicy, makeVec, Rng } from '../src/index.js';

describe('policy files', () => {
  it.each(['CartPole-v1', 'Pendulum-v1'])(
    '%s: export → JSON → import gives the same parameters and actions',
    (id) => {
      const env = makeVec(id, 1);
      const policy = new ActorCriticPolicy(
        {
          observationSpace: env.singleObservationSpace,
          actionSpace: env.singleActionSpace,
          netArch: [16, 8],
        },
        Rng.fromSeed(1),
      );
      const file = exportPolicy(policy, {
        algo: 'ppo',
        env: id,
        envOptions: {},
        observationSpace: env.singleObservationSpace,
        actionSpace: env.singleActionSpace,
        normalization: null,
      });
      const restored = importPolicy(JSON.parse(JSON.stringify(file)));
      expect(Array.from(restored.params)).toEqual(Array.from(policy.params));
      expect(restored.spec).toEqual(policy.spec);
      const obs = Float32Array.from({ length: env.obsDim * 3 }, (_, k) => Math.sin(k));
      expect(restored.predict(obs)).toEqual(policy.predict(obs));
    },
  );

  it('refuses files that are not policies, or whose parameters do not fit', () => {
    expect(() => importPolicy({ format: 'other' } as never)).toThrow(/not a policygrad policy file/);
    const env = makeVec('CartPole-v1', 1);
    const policy = new ActorCriticPolicy(
      { observationSpace: env.singleObservationSpace, actionSpace: env.singleActionSpace },
      Rng.fromSeed(1),
    );
    const file = exportPolicy(policy, {
      algo: 'ppo',
      env: 'CartPole-v1',
      envOptions: {},
      observationSpace: env.singleObservationSpace,
      actionSpace: env.singleActionSpace,
      normalization: null,
    });
    expect(() => importPolicy({ ...file, spec: { ...file.spec, netArch: { pi: [32], vf: [32] } } })).toThrow(
      /do not fit the described network/,
    );
  });
});
