#!/usr/bin/env node
/**
 * The `policygrad` command. User mistakes (PolicygradError) print their message and exit with code 2,
 * without a stack trace; anything else is a bug and keeps its stack.
 */
import { Command, CommanderError, InvalidArgumentError } from 'commander';
// The built-in envs register themselves on import (as the package entries do through src/envs/index.ts): every
// command looks them up by id.
import '../envs/builtin.js';
import { DEFAULT_VARIANCE_ESTIMATORS, runVarianceLab, VARIANCE_ESTIMATORS } from '../algos/variance-lab.js';
import { importPolicy, importRecurrentPolicy, isRecurrentPolicyFile } from '../policies/serialize.js';
import { loadEnvEngine } from '../envs/load-engine.js';
import { PolicygradError } from '../errors.js';
import { VERSION } from '../version.js';
import { readPolicyFile, writePolicyFile } from '../node/run-dir.js';
import { DEMO_POLICIES, type DemoPolicy, runDemo } from './demo.js';
import { checkWritableFile } from './destinations.js';
import { runEval } from './eval.js';
import { installImports } from './imports.js';
import { openPolicy } from './policy-env.js';
import { CLI_ALGORITHMS, DEFAULT_ALGO, DEFAULT_ENV, DEFAULT_SEED } from './run-options.js';
import { runList } from './list.js';
import type { ActorCommandOptions } from './actor.js';
import type { SweepCommandOptions } from './sweep.js';
import type { WorkerCommandOptions } from './worker.js';
import { checkGifDestination, loadGifenc, recordGif } from './record.js';
import { consoleOutput, runTrain, type TrainCommandOptions } from './train.js';
import { runTrainSeeds } from './train-seeds.js';
import { formatVarianceTable } from './variance.js';

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n <= 0)
    throw new InvalidArgumentError(`expected a positive integer, got '${value}'`);
  return n;
}

/** The TLS files of a rediss:// server, for the commands that reach Redis (checked when the command runs). */
function withRedisTls(command: Command): Command {
  return command
    .option(
      '--redis-tls-ca <file>',
      "rediss://: the CA certificate (PEM) that signed the server's certificate",
    )
    .option(
      '--redis-tls-cert <file>',
      'rediss://: a client certificate (PEM), for a server that asks for one',
    )
    .option('--redis-tls-key <file>', "rediss://: the client certificate's private key (PEM)");
}

function nonNegativeInteger(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0)
    throw new InvalidArgumentError(`expected a non-negative integer, got '${value}'`);
  return n;
}

export function buildProgram(): Command {
  const program = new Command()
    .name('policygrad')
    .description('Policy-gradient reinforcement learning for TypeScript')
    .version(VERSION)
    // Flag-parser mistakes are user mistakes like any other: one line on stderr, exit code 2 (see main).
    // Set before the commands are added, so they inherit it.
    .exitOverride()
    .configureOutput({
      outputError: (text, write) =>
        write(`policygrad: ${text.replace(/^error: /, '').trim()} (see policygrad --help)\n`),
    });

  const train = program
    .command('train')
    .description('train an agent; with no options, PPO on CartPole-v1 with the tuned zoo preset')
    // No parser defaults for algo, env and seed: they may also come from --set or --config (run-options.ts).
    .option('--algo <name>', `${CLI_ALGORITHMS.join(', ')} (default: ${DEFAULT_ALGO})`)
    .option('--env <id>', `environment id (default: ${DEFAULT_ENV})`)
    .option('--preset <name>', "hyperparameter preset ('zoo' when there is one; 'none' for the defaults)")
    .option(
      '--config <file>',
      'options from a YAML or JSON file, or an rl-zoo hyperparams file (its block for --env)',
    )
    .option(
      '--set <key=value>',
      'override one option (repeatable)',
      (v: string, all: string[]) => [...all, v],
      [],
    )
    .option('--timesteps <n>', "environment steps (default: the preset's budget)", positiveInteger)
    .option('--seed <s>', `seed (default: ${DEFAULT_SEED})`, nonNegativeInteger)
    .option(
      '--seeds <list>',
      'train several seeds of the config in this process, e.g. 1,2,3,4,5 (exclusive with --seed)',
    )
    .option(
      '--parallel <k>',
      'with --seeds: seeds trained at once on worker threads (default: min(seeds, cores))',
      positiveInteger,
    )
    .option('--n-envs <k>', 'parallel environments', positiveInteger)
    .option(
      '--out <dir>',
      'run directory (default runs/<algo>-<env>-seed<s>; with --seeds, <dir>/seed<s> for each seed)',
    )
    .option('--force', 'overwrite an existing run directory')
    .option('--resume <dir>', 'continue the run in <dir> from its newest checkpoint (with its saved config)')
    .option(
      '--checkpoint-every <steps>',
      'environment steps between checkpoints (default: a tenth of the budget)',
      positiveInteger,
    )
    .option(
      '--kernels <name>',
      "dense kernels: 'wasm' (WebAssembly SIMD) or 'typescript' (default: wasm where supported)",
    )
    .option(
      '--threads <n>',
      'threads of each update: 1, 2 or auto (default auto: 2 for separate actor and critic networks on 2+ cores; the same results)',
    )
    .option(
      '--actors <n>',
      'impala/appo: actor threads on this machine (default 2); with --redis, actor processes that join through it',
      nonNegativeInteger,
    )
    .option(
      '--redis <url>',
      'impala/appo: actors join through this Redis: redis://[user@]host:port[/db] or rediss://… (TLS); password in POLICYGRAD_REDIS_PASSWORD',
    )
    .option('--run-id <id>', 'impala/appo with --redis: the run id that namespaces its Redis keys');
  withRedisTls(train)
    .addHelpText(
      'after',
      '\nExamples:\n  policygrad train\n  policygrad train --algo appo --env CartPole-v1 --actors 2\n  policygrad train --algo a2c --env CartPole-v1 --seed 2\n  policygrad train --preset cleanrl --seeds 1,2,3,4,5\n  policygrad train --algo ppo --set learningRate=0.0005 --set nEpochs=10 --out runs/ppo-lr\n  policygrad train --resume runs/ppo-lr',
    )
    .action(async (options: TrainCommandOptions & { seeds?: string }) => {
      const output = consoleOutput(process.stdout.isTTY === true);
      if (options.seeds === undefined) await runTrain(options, output);
      else await runTrainSeeds({ ...options, seeds: options.seeds }, output);
    });

  const actor = program
    .command('actor')
    .description('run an impala/appo actor for a learner started with --redis (on this machine or another)')
    .requiredOption(
      '--redis <url>',
      "the learner's Redis: redis://[user@]host:port[/db] or rediss://… (TLS); password in POLICYGRAD_REDIS_PASSWORD",
    )
    .requiredOption('--run-id <id>', "the learner's --run-id")
    .option('--envs <n>', "envs this actor steps (default: the run's numEnvs)", positiveInteger);
  withRedisTls(actor)
    .addHelpText(
      'after',
      '\nExamples (the learner elsewhere: policygrad train --algo appo --redis redis://host:6379 --run-id cartpole-1):\n  POLICYGRAD_REDIS_PASSWORD=… policygrad actor --redis redis://host:6379 --run-id cartpole-1 --envs 8\n  POLICYGRAD_REDIS_PASSWORD=… policygrad actor --redis rediss://cartpole-1@host:6380 --run-id cartpole-1 --redis-tls-ca ca.pem',
    )
    .action(async (options: ActorCommandOptions) => {
      const { runActor } = await import('./actor.js');
      await runActor(options);
    });

  program
    .command('export')
    .description('write a trained policy as one self-contained JSON file, for policygrad/inference')
    .argument('<run>', 'a run directory (runs/NAME) or a policy .json file')
    .option('--out <file>', 'where to write it', 'policy.json')
    .addHelpText(
      'after',
      "\nThen, in Node or a browser:\n  import { loadPolicy } from 'policygrad/inference';\n  const action = loadPolicy(json).act(observation);",
    )
    .action((run: string, options: { out: string }) => {
      checkWritableFile(options.out, '--out');
      const file = readPolicyFile(run);
      // refuses a file whose parameters do not fit its network
      if (isRecurrentPolicyFile(file)) importRecurrentPolicy(file);
      else importPolicy(file);
      writePolicyFile(options.out, file);
      console.log(
        `wrote ${options.out} (${file.algo} on ${file.env}; load it with loadPolicy from 'policygrad/inference')`,
      );
    });

  program
    .command('plot')
    .description(
      'learning curves from run directories (mean ± std across seeds of one config), as SVG or PNG',
    )
    .argument('<runs...>', 'run directories')
    .option('--metric <column>', 'a metrics.csv column', 'episode_return_mean')
    .option('--x <column>', "x axis: 'step' or 'time_s'", 'step')
    .option('--out <file>', 'output file: .svg or .png', 'curve.svg')
    .option('--title <text>', 'chart title')
    .addHelpText(
      'after',
      '\nExamples:\n  policygrad plot runs/ppo-CartPole-v1-seed0 runs/ppo-CartPole-v1-seed1 --out curve.png\n  policygrad plot runs/* --metric approx_kl --out kl.svg',
    )
    .action(async (runs: string[], options: { metric: string; x: string; out: string; title?: string }) => {
      if (options.x !== 'step' && options.x !== 'time_s') {
        throw new PolicygradError(`plot: invalid --x '${options.x}': expected 'step' or 'time_s'`);
      }
      checkWritableFile(options.out, 'plot: --out');
      // Loaded on use: Vega and resvg take most of a second to import, which every other command would pay.
      const { runPlot } = await import('./plot.js');
      const out = await runPlot(runs, { ...options, x: options.x });
      console.log(`wrote ${out}`);
    });

  program
    .command('dashboard')
    .description('a local, read-only web page with live learning curves of the runs in a directory')
    .argument('[runs]', 'the runs directory', 'runs')
    .option('--port <p>', 'port (0: any free port)', nonNegativeInteger, 6060)
    .option(
      '--host <address>',
      'address to listen on; anything but loopback exposes your runs to the network',
      '127.0.0.1',
    )
    .addHelpText(
      'after',
      '\nExamples:\n  policygrad dashboard\n  policygrad dashboard runs --port 8080\n  policygrad dashboard runs --host 0.0.0.0   # reachable from other machines',
    )
    .action(async (runs: string, options: { port: number; host: string }) => {
      const { isLoopbackHost, startDashboard } = await import('./dashboard.js');
      const { url } = await startDashboard({ root: runs, host: options.host, port: options.port });
      console.log(`policygrad dashboard: ${url} (read-only view of ${runs}; Ctrl+C to stop)`);
      if (!isLoopbackHost(options.host)) {
        console.log(
          `warning: listening on ${options.host}: anyone who can reach this machine can read these runs`,
        );
      }
    });

  program
    .command('eval')
    .description('evaluate a trained policy (a run directory or a policy .json file)')
    .argument('<run>', 'run directory, e.g. runs/ppo-CartPole-v1-seed0')
    .option('--episodes <n>', 'episodes', positiveInteger, 10)
    .option('--deterministic', 'take the most likely action (the default)')
    .option('--stochastic', 'sample actions instead of taking the most likely one')
    .option('--seed <s>', 'seed for the evaluation episodes', nonNegativeInteger, 10_000)
    .option('--json', 'print {"episodes", "meanReturn", "stdReturn", "meanLength"} as JSON')
    .option(
      '--record <file.gif>',
      'also write one deterministic episode as an animated GIF (classic control)',
    )
    .addHelpText(
      'after',
      '\nExamples:\n  policygrad eval runs/ppo-CartPole-v1-seed0\n  policygrad eval runs/ppo-CartPole-v1-seed0 --episodes 20 --json\n  policygrad eval runs/ppo-CartPole-v1-seed0 --record agent.gif',
    )
    .action(
      async (
        run: string,
        options: {
          episodes: number;
          deterministic?: boolean;
          stochastic?: boolean;
          seed: number;
          json?: boolean;
          record?: string;
        },
      ) => {
        if (options.deterministic === true && options.stochastic === true) {
          throw new PolicygradError('eval: --deterministic and --stochastic contradict each other: pass one');
        }
        if (options.record !== undefined) {
          checkGifDestination(options.record);
          await loadGifenc(); // a missing encoder is said before the evaluation runs
        }
        const file = await openPolicy(run);
        const r = runEval(file, {
          episodes: options.episodes,
          deterministic: options.stochastic !== true,
          seed: options.seed,
        });
        if (options.record !== undefined) {
          const recording = await recordGif(file, options.record, options.seed);
          const message = `wrote ${options.record} (${recording.frames} frames, return ${recording.episodeReturn.toFixed(2)}, ${Math.round(recording.bytes / 1024)} KiB)`;
          if (options.json) console.error(message);
          else console.log(message);
        }
        if (options.json) {
          console.log(
            JSON.stringify({
              episodes: r.episodes,
              meanReturn: r.meanReturn,
              stdReturn: r.stdReturn,
              meanLength: r.meanLength,
            }),
          );
        } else {
          console.log(
            `${r.episodes} episodes: return ${r.meanReturn.toFixed(2)} ± ${r.stdReturn.toFixed(2)} (min ${r.minReturn.toFixed(2)}, max ${r.maxReturn.toFixed(2)}), length ${r.meanLength.toFixed(1)}`,
          );
        }
      },
    );

  program
    .command('list')
    .description('list environments, algorithms or presets')
    .argument('<what>', 'envs, algos or presets')
    .addHelpText('after', '\nExamples:\n  policygrad list envs\n  policygrad list presets')
    .action((what: string) => {
      for (const line of runList(what)) console.log(line);
    });

  program
    .command('demo')
    .description(
      "run an environment with a uniformly random policy (or its heuristic controller) and print each episode's return",
    )
    .option('--env <id>', 'environment id', 'CartPole-v1')
    .option(
      '--policy <name>',
      `${DEMO_POLICIES.join(' or ')} (heuristic: Gymnasium's controller for LunarLander and BipedalWalker)`,
      'random',
    )
    .option('--episodes <n>', 'number of episodes', positiveInteger, 5)
    .option('--seed <s>', 'seed for the env and the random policy', nonNegativeInteger, 0)
    .option('--json', 'print {"returns": [...], "lengths": [...]} only')
    .addHelpText(
      'after',
      '\nExamples:\n  policygrad demo\n  policygrad demo --env Pendulum-v1 --episodes 3 --seed 7\n  policygrad demo --env LunarLander-v3 --policy heuristic --episodes 100 --json\n  policygrad demo --env BipedalWalker-v3 --policy heuristic --episodes 10 --json',
    )
    .action(
      async (options: {
        env: string;
        policy: DemoPolicy;
        episodes: number;
        seed: number;
        json?: boolean;
      }) => {
        await loadEnvEngine(options.env);
        runDemo(options, (line) => console.log(line));
      },
    );

  program
    .command('variance')
    .description(
      "measure each policy-gradient estimator's variance on a fixed policy (the seeds' variance-reduction argument)",
    )
    .option('--env <id>', 'environment id', 'CartPole-v1')
    .option(
      '--estimators <list>',
      `comma-separated, from ${VARIANCE_ESTIMATORS.join(',')}`,
      DEFAULT_VARIANCE_ESTIMATORS.join(','),
    )
    .option('--batch-episodes <n>', 'episodes per gradient estimate', positiveInteger, 10)
    .option('--repeats <n>', 'independent batches', positiveInteger, 200)
    .option('--seed <s>', 'seed for the policy initialisation and the rollouts', nonNegativeInteger, 0)
    .option('--gamma <g>', 'discount factor', Number, 0.99)
    .option('--json', 'print the report as JSON')
    .option('--policy <run>', 'hold a trained policy fixed (a run directory or policy file; its env is used)')
    .addHelpText(
      'after',
      '\nExamples:\n  policygrad variance --env CartPole-v1 --json\n  policygrad variance --estimators total,rtg --repeats 500\n  policygrad variance --policy runs/ppo-CartPole-v1-seed0',
    )
    .action(
      async (options: {
        env: string;
        estimators: string;
        batchEpisodes: number;
        repeats: number;
        seed: number;
        gamma: number;
        json?: boolean;
        policy?: string;
      }) => {
        const file = options.policy === undefined ? undefined : await openPolicy(options.policy);
        await loadEnvEngine(file?.env ?? options.env);
        const report = runVarianceLab(
          {
            env: file?.env ?? options.env,
            estimators: options.estimators.split(',').map((e) => e.trim()) as never,
            batchEpisodes: options.batchEpisodes,
            repeats: options.repeats,
            seed: options.seed,
            gamma: options.gamma,
          },
          file === undefined ? undefined : { policy: importPolicy(file), normalization: file.normalization },
        );
        console.log(options.json ? JSON.stringify(report) : formatVarianceTable(report));
      },
    );

  const sweep = program
    .command('sweep')
    .description('train every config of a sweep spec on every seed; rank the configs by final evaluation')
    .argument('[spec]', 'the sweep spec (YAML)')
    .option('--parallel <k>', 'trials at once on this machine (default: the core count)', positiveInteger)
    .option('--out <dir>', 'sweep directory, never overwritten (default sweeps/<name>)')
    .option(
      '--redis <url>',
      'queue the trials on Redis for `policygrad worker` processes (BullMQ): redis://[user@]host:port[/db] or rediss://… (TLS); password in POLICYGRAD_REDIS_PASSWORD',
    );
  withRedisTls(sweep)
    .option('--status <dir>', 'print the progress of a sweep (its directory) and exit')
    .addHelpText(
      'after',
      '\nExamples:\n  policygrad sweep sweep.yaml --parallel 2\n  policygrad sweep --status sweeps/ppo-cartpole\n  POLICYGRAD_REDIS_PASSWORD=… policygrad sweep sweep.yaml --redis redis://10.0.0.5:6379\n  POLICYGRAD_REDIS_PASSWORD=… policygrad sweep sweep.yaml --redis rediss://sweeper@redis.lab:6380 --redis-tls-ca ca.pem',
    )
    .action(async (spec: string | undefined, options: SweepCommandOptions & { status?: string }) => {
      const { consoleSweepOutput, runSweep, sweepStatus } = await import('./sweep.js');
      if (options.status !== undefined) {
        if (spec !== undefined) throw new PolicygradError('sweep: give a spec or --status DIR, not both');
        console.log(sweepStatus(options.status));
        return;
      }
      if (spec === undefined)
        throw new PolicygradError('sweep: missing the spec file (policygrad sweep spec.yaml)');
      await runSweep(
        spec,
        { ...options, version: VERSION },
        consoleSweepOutput(process.stdout.isTTY === true),
      );
    });

  const worker = program
    .command('worker')
    .description('run sweep trials queued on Redis by `policygrad sweep --redis` (on any number of machines)')
    .requiredOption(
      '--redis <url>',
      'redis://[user@]host:port[/db] or rediss://… (TLS); password in POLICYGRAD_REDIS_PASSWORD',
    );
  withRedisTls(worker)
    .option('--concurrency <k>', 'trials at once (default: the core count)', positiveInteger)
    .option(
      '--lock-seconds <s>',
      "seconds before a dead worker's trial moves to another worker",
      positiveInteger,
      30,
    )
    .addHelpText(
      'after',
      '\nExamples:\n  POLICYGRAD_REDIS_PASSWORD=… policygrad worker --redis redis://10.0.0.5:6379 --concurrency 2\n  POLICYGRAD_REDIS_PASSWORD=… policygrad worker --redis rediss://sweeper@redis.lab:6380 --redis-tls-ca ca.pem',
    )
    .action(async (options: WorkerCommandOptions) => {
      const { runWorker } = await import('./worker.js');
      await runWorker(options, (line) => console.log(line));
    });

  installImports(program);
  return program;
}

const FILE_SYSTEM_ERRORS = new Set([
  'EACCES',
  'EPERM',
  'EROFS',
  'ENOSPC',
  'ENOENT',
  'ENOTDIR',
  'EISDIR',
  'EEXIST',
  'EDQUOT',
]);

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0; // 130/143 after a signal
  } catch (error) {
    // Help and --version end with code 0; a flag-parser error was printed (one line) by configureOutput.
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    if (error instanceof PolicygradError) {
      console.error(`policygrad: ${error.message}`);
      return 2;
    }
    // A file-system refusal the checks before the work did not foresee (a full disk, permissions that changed):
    // Node's own one-line message, not a stack trace.
    const code = (error as NodeJS.ErrnoException | null)?.code;
    if (typeof code === 'string' && FILE_SYSTEM_ERRORS.has(code)) {
      console.error(`policygrad: ${(error as Error).message}`);
      return 2;
    }
    throw error;
  }
}

// `policygrad list envs | head -3`: a reader that stops early is no error (as for any Unix command).
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});
process.exitCode = await main(process.argv);
