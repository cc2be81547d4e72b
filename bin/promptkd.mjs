#!/usr/bin/env node
// Runs the TypeScript CLI through tsx's loader, so no build step stands between a checkout and the command.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/promptkd.ts');
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    console.error(`promptkd: ${e instanceof Error ? e.message : String(e)}`.split('\n')[0]);
    process.exitCode = 1;
  },
);
