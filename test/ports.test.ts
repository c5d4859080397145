/**
 * Ports instead of singletons (ARCHITECTURE.md § "The platform line"): the core's models get files and worker
 * threads only from the ports they are given; the Node entry's classes are given `nodePorts` by default; importing
 * the Node entry changes nothing in the core.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  A2C as CoreA2C,
  type FileStorage,
  PPO as CorePPO,
  Reinforce as CoreReinforce,
  TRPO as CoreTRPO,
} from '../src/index.js';
import { A2C, createAlgorithm, nodePorts, NPG, PPO, Reinforce, TRPO } from '../src/node.js';

const work = mkdtempSync(join(tmpdir(), 'policygrad-ports-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A storage in memory: a map from "dir/name" to the text written there. */
function memoryStorage(): FileStorage & { files: Map<string, string> } {
  const files = new Map<string, string>();
  return {
    files,
    writeText: (dir, name, text) => void files.set(`${dir}/${name}`, text),
    readText(dir, name) {
      const text = files.get(`${dir}/${name}`);
      if (text === undefined) throw new Error(`no ${dir}/${name}`);
      return text;
    },
  };
}

const tiny = { env: 'CartPole-v1', numEnvs: 1, nSteps: 32, batchSize: 32, nEpochs: 1, seed: 7 };

/** The Node entry's createAlgorithm, which gives the model nodePorts by default. */
function createdPPO(): CorePPO {
  const model = createAlgorithm('ppo', tiny);
  if (!(model instanceof CorePPO)) throw new Error('createAlgorithm did not build a PPO');
  return model;
}

describe('ports', () => {
  it("the core's models without a storage port: save and load throw one line naming nodePorts", () => {
    // The Node entry is imported by this file: it must not have installed anything into the core.
    const model = new CorePPO(tiny);
    const message = /^save\/load need a file system: .*nodePorts.*checkpoint\(\)\/restoreCheckpoint\(\)$/;
    expect(() => model.save(join(work, 'core'))).toThrow(message);
    expect(() => CorePPO.load(join(work, 'core'))).toThrow(message);
    expect(() => new CoreReinforce({ env: 'CartPole-v1', seed: 1 }).save(join(work, 'r'))).toThrow(message);
    const created = createAlgorithm('a2c', { env: 'CartPole-v1' }, {}); // explicit empty ports
    if (!(created instanceof CoreA2C)) throw new Error('createAlgorithm did not build an A2C');
    expect(() => created.save(join(work, 'a2c'))).toThrow(message);
  });

  it('two models with different storages in one process write and read their own', () => {
    const first = memoryStorage();
    const second = memoryStorage();
    const a = new CorePPO(tiny, { storage: first });
    const b = new CoreTRPO({ env: 'CartPole-v1', nSteps: 32, seed: 8 }, { storage: second });
    a.save('models/a');
    b.save('models/b');
    expect([...first.files.keys()].sort()).toEqual(['models/a/model.json', 'models/a/policy.json']);
    expect([...second.files.keys()].sort()).toEqual(['models/b/model.json', 'models/b/policy.json']);
    // Each reads from the storage it is given, and the loaded model keeps it for its own save.
    const loaded = CorePPO.load('models/a', { ports: { storage: first } });
    expect(Array.from(loaded.policy.params)).toEqual(Array.from(a.policy.params));
    expect(loaded.ports.storage).toBe(first);
    expect(() => CorePPO.load('models/a', { ports: { storage: second } })).toThrow(
      /no models\/a\/model\.json/,
    );
    loaded.save('models/again');
    expect(first.files.has('models/again/model.json')).toBe(true);
    expect(second.files.has('models/again/model.json')).toBe(false);
  });

  it("vectorEnv 'async' without the asyncVectorEnv port: one line naming nodePorts", () => {
    expect(() => new CorePPO({ ...tiny, vectorEnv: 'async' })).toThrow(
      /^vectorEnv 'async' needs worker threads: .*nodePorts.*'sync'$/,
    );
    expect(() => new CorePPO({ ...tiny, vectorEnv: 'async' }, { storage: memoryStorage() })).toThrow(
      /needs worker threads/,
    );
  });

  it("the Node entry's classes save and load with no extra argument", () => {
    for (const [name, model, load] of [
      ['ppo', new PPO(tiny), (d: string) => PPO.load(d)],
      ['a2c', new A2C({ env: 'CartPole-v1', seed: 2 }), (d: string) => A2C.load(d)],
      ['trpo', new TRPO({ env: 'CartPole-v1', nSteps: 32, seed: 3 }), (d: string) => TRPO.load(d)],
      ['npg', new NPG({ env: 'CartPole-v1', nSteps: 32, seed: 4 }), (d: string) => NPG.load(d)],
      ['reinforce', new Reinforce({ env: 'CartPole-v1', seed: 5 }), (d: string) => Reinforce.load(d)],
      ['created', createdPPO(), (d: string) => PPO.load(d)],
    ] as const) {
      const dir = join(work, name);
      model.save(dir);
      const loaded = load(dir);
      expect(loaded.ports, name).toBe(nodePorts);
      expect(Array.from(loaded.policy.params), name).toEqual(Array.from(model.policy.params));
      if (name !== 'created') expect(loaded.constructor, name).toBe(model.constructor);
    }
    // Other ports still win over the default, for the model and for load.
    const memory = memoryStorage();
    new PPO(tiny, { storage: memory }).save('m');
    expect(PPO.load('m', { ports: { storage: memory } }).ports.storage).toBe(memory);
  });
});
