#!/usr/bin/env node
/**
 * The `policygrad` command. User mistakes (PolicygradError) print their message and exit with code 2,
 * without a stack trace; anything else is a bug and keeps its stack.
 */
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { PolicygradError, VERSION } from '../index.js';
import { runDemo } from './demo.js';

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n <= 0)
    throw new InvalidArgumentError(`expected a positive integer, got '${value}'`);
  return n;
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
    .showHelpAfterError('(run with --help for usage)');

  program
    .command('demo')
    .description('run an environment with a uniformly random policy and print each episode return')
    .option('--env <id>', 'environment id', 'CartPole-v1')
    .option('--episodes <n>', 'number of episodes', positiveInteger, 5)
    .option('--seed <s>', 'seed for the env and the random policy', nonNegativeInteger, 0)
    .addHelpText(
      'after',
      '\nExamples:\n  policygrad demo\n  policygrad demo --env Pendulum-v1 --episodes 3 --seed 7',
    )
    .action((options: { env: string; episodes: number; seed: number }) => {
      runDemo(options, (line) => console.log(line));
    });

  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram().exitOverride();
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    if (error instanceof PolicygradError) {
      console.error(`policygrad: ${error.message}`);
      return 2;
    }
    throw error;
  }
}

process.exitCode = await main(process.argv);
