// A CartPole whose step also burns `stepMicroseconds` of CPU: stands in for an expensive simulator in the
// AsyncVectorEnv benchmark. Imported by the benchmark and, in `envModules`, by each worker thread.
import { make, register } from '../../dist/index.js';

register(
  {
    id: 'SlowCartPole-v0',
    entryPoint: ({ stepMicroseconds = 100 }) => {
      const env = make('CartPole-v1', { maxEpisodeSteps: 1_000_000 });
      const step = env.step.bind(env);
      env.step = (action) => {
        const end = performance.now() + stepMicroseconds / 1000;
        while (performance.now() < end);
        return step(action);
      };
      return env;
    },
    maxEpisodeSteps: 500,
  },
  { override: true },
);
