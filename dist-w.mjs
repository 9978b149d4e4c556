import v8 from 'node:v8';
v8.setFlagsFromString('--single-threaded-gc');
await import('./dist/cli/main.js');
