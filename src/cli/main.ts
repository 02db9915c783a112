#!/usr/bin/env node
/**
 * The `noisekit` command line. Each command lives in its own module and only parses arguments;
 * the work is done by the library.
 */
import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { vectorsCommand } from './vectors.js';
import { udpCommands } from './udp.js';
import { pipesCommands } from './pipes.js';
import { keygenCommand } from './keygen.js';
import { serveCommand } from './serve.js';
import { connectCommand } from './connect.js';
import { patternsCommand } from './patterns.js';
import { relayCommand } from './relay.js';
import { benchCommand } from './bench.js';
import { oneLineErrors } from './args.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

export function buildProgram(): Command {
  const program = new Command('noisekit')
    .description('Noise Protocol Framework (rev 34): secure channels, test vectors, benchmarks')
    .version(pkg.version);
  program.addCommand(vectorsCommand());
  for (const c of udpCommands()) program.addCommand(c);
  for (const c of pipesCommands()) program.addCommand(c);
  program.addCommand(keygenCommand());
  program.addCommand(serveCommand());
  program.addCommand(connectCommand());
  program.addCommand(patternsCommand());
  program.addCommand(relayCommand());
  program.addCommand(benchCommand());
  return oneLineErrors(program);
}

// Log lines go to stderr; a log reader that went away (`serve 2>&1 | head`) must not end a
// server with an unhandled EPIPE: later lines are dropped.
process.stderr.on('error', () => undefined);

await buildProgram().parseAsync(process.argv);
