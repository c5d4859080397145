// train-corridor.js: check the environment, train PPO on it, evaluate and save the policy.
import { checkEnv, make, PPO } from 'policygrad';
import './corridor.js'; // registers Corridor-v0 in this thread

const report = checkEnv(make('Corridor-v0'));
if (!report.ok) throw new Error(`Corridor-v0: ${report.errors.join('; ')}`);

const model = new PPO({
  env: 'Corridor-v0',
  numEnvs: 4,
  nSteps: 128,
  seed: 1,
  // Optional: step the envs on worker threads (for envs whose step is expensive). Each worker imports these
  // modules first, since registrations are per thread.
  vectorEnv: 'async',
  envModules: [new URL('./corridor.js', import.meta.url).href],
});
model.learn({ totalTimesteps: 10_000 });
const returns = model.evaluate(10);
console.log(`mean return ${(returns.reduce((a, b) => a + b, 0) / returns.length).toFixed(2)}`);
model.save('models/corridor'); // PPO.load('models/corridor') after importing ./corridor.js
model.env.close();
