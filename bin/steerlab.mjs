#!/usr/bin/env node
// Launcher: runs the TypeScript CLI through tsx's loader, so the installed
// package needs no build step before its first run.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/index.ts');
process.exitCode = await main(process.argv);
