#!/usr/bin/env node
// The `viewguard` bin (package.json "bin"). The project is TypeScript run through tsx, so this JavaScript shim
// registers tsx's loader in this process and then runs the command (infra/cli/main.ts).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./main.ts');
process.exitCode = await main(process.argv.slice(2));
