/** Node's file system as the core's `FileStorage` port: what `model.save(dir)` and `PPO.load(dir)` write and read. */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FileStorage } from '../algos/persistence.js';
import { PolicygradError } from '../errors.js';
import { writeFileAtomically } from './run-dir.js';

export const nodeFileStorage: FileStorage = {
  writeText(dir, name, text) {
    mkdirSync(dir, { recursive: true });
    writeFileAtomically(join(dir, name), text);
  },
  readText(dir, name) {
    const file = join(dir, name);
    if (!existsSync(file)) throw new PolicygradError(`no saved model at ${dir}: ${file} is missing`);
    return readFileSync(file, 'utf8');
  },
};
