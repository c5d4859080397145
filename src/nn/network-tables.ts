/**
 * The layer tables of an actor and a critic for the fused WebAssembly calls (`ppoMinibatch`, `actBatch` in
 * assembly/kernels.ts): per layer the byte offsets and sizes of its arrays in wasm memory, rebuilt only when a
 * network's workspaces were reallocated or are too small for the batch.
 */
import type { MLP } from './mlp.js';
import type { Activation, TrainingLayer } from './kernels.js';
import type { WasmKernels } from './wasm-kernels.js';

/** Int32 entries per layer of a training table: W, b, X, Y, Z, nIn, nOut, act, dW, db, dY, dX. */
const TRAIN_ENTRY_INTS = 12;
const ACTIVATION_CODE: Record<Activation, number> = { identity: 0, tanh: 1, relu: 2, elu: 3, gelu: 4 };

/** Where `refresh` writes the tables: a fused call's context slots 0–4, in the kernels' order. */
const SLOT = { actorTable: 0, actorLayers: 1, criticTable: 2, criticLayers: 3, scratch: 4 } as const;

export interface TableNetworks {
  kernels: WasmKernels;
  actor: MLP;
  critic: MLP;
  params: Float32Array;
  grads: Float32Array;
  /** Where the critic's slice of `params` and `grads` starts (the actor's starts at 0). */
  criticOffset: number;
}

export class NetworkTables {
  /** The actor's first layer's input (where a call's observations go), valid until the next rebuild. */
  actorInput: Float32Array = new Float32Array(0);
  private arrays: Float32Array[] = [];
  /** The networks' workspace versions and the rows the tables were made for. */
  private state = { actor: -1, critic: -1, rows: 0 };

  /** `caller` names the fused step in the error an array outside wasm memory raises. */
  constructor(
    private readonly networks: TableNetworks,
    private readonly caller: string,
  ) {}

  /**
   * The tables for up to `batch` rows, their pointers written into `context`'s slots 0–4 (actor table, its layer
   * count, critic table, its layer count, the shared scratch): rebuilt only when needed (no allocation otherwise).
   */
  refresh(batch: number, context: Float64Array): void {
    const { actor, critic, params, grads, criticOffset, kernels } = this.networks;
    const { state } = this;
    if (
      this.arrays.length > 0 &&
      batch <= state.rows &&
      actor.workspaceVersion === state.actor &&
      critic.workspaceVersion === state.critic
    ) {
      return;
    }
    for (const array of this.arrays) kernels.release(array);
    const rows = Math.max(batch, state.rows);
    const actorLayers = actor.trainingLayers(params, grads, 0, rows);
    const criticLayers = critic.trainingLayers(params, grads, criticOffset, rows);
    const widest = Math.max(...[...actorLayers, ...criticLayers].map((l) => Math.max(l.nIn, l.nOut)));
    const actorTable = this.table(actorLayers);
    const criticTable = this.table(criticLayers);
    const scratch = kernels.allocate(widest ** 2);
    this.arrays = [actorTable, criticTable, scratch];
    this.state = { actor: actor.workspaceVersion, critic: critic.workspaceVersion, rows };
    this.actorInput = actorLayers[0].X as Float32Array;
    context[SLOT.actorTable] = actorTable.byteOffset;
    context[SLOT.actorLayers] = actorLayers.length;
    context[SLOT.criticTable] = criticTable.byteOffset;
    context[SLOT.criticLayers] = criticLayers.length;
    context[SLOT.scratch] = scratch.byteOffset;
  }

  /** A training table in wasm memory: int32 entries in a float32 allocation. */
  private table(layers: TrainingLayer[]): Float32Array {
    const { kernels } = this.networks;
    const room = kernels.allocate(layers.length * TRAIN_ENTRY_INTS);
    const table = new Int32Array(room.buffer, room.byteOffset, room.length);
    layers.forEach((l, i) => {
      for (const array of [l.W, l.b, l.X, l.Y, l.dW, l.db, l.dY, l.dX, ...(l.Z === null ? [] : [l.Z])]) {
        if (!kernels.holds(array)) throw new Error(`${this.caller}: a network array is outside wasm memory`);
      }
      table.set(
        [
          l.W.byteOffset,
          l.b.byteOffset,
          l.X.byteOffset,
          l.Y.byteOffset,
          l.Z?.byteOffset ?? 0,
          l.nIn,
          l.nOut,
          ACTIVATION_CODE[l.act],
          l.dW.byteOffset,
          l.db.byteOffset,
          l.dY.byteOffset,
          l.dX.byteOffset,
        ],
        i * TRAIN_ENTRY_INTS,
      );
    });
    return room;
  }
}
