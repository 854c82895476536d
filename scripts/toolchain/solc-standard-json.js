#!/usr/bin/env node
// A py-solc-x compatible front end for solc-js (the npm `solc` package).
//
// py-solc-x runs `<solc> --version` and `<solc> --standard-json [--allow-paths ...]` with the
// input JSON on stdin. The npm package's own CLI (solcjs) rejects --allow-paths, prints a
// banner before the JSON and truncates piped output near 64 KiB, so this adapter calls the
// package's JS API instead and writes the result with one synchronous write.
'use strict';
const fs = require('fs');
const path = require('path');
const solc = require('solc');

const args = process.argv.slice(2);
if (args.includes('--version')) {
  process.stdout.write(`solc, the solidity compiler commandline interface\nVersion: ${solc.version()}\n`);
  process.exit(0);
}
if (!args.includes('--standard-json')) {
  process.stderr.write('this adapter only supports --version and --standard-json\n');
  process.exit(2);
}

// Imports resolve against the working directory and any --allow-paths / --base-path roots,
// so that remapped `node_modules/@openzeppelin/...` paths are found wherever solc is called from.
const roots = [process.cwd()];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--allow-paths' || args[i] === '--base-path' || args[i] === '--include-path') {
    for (const p of (args[i + 1] || '').split(',')) if (p) roots.push(p);
  }
}
function findImport(importPath) {
  const candidates = path.isAbsolute(importPath) ? [importPath] : roots.map((r) => path.join(r, importPath));
  for (const candidate of candidates) {
    try {
      return { contents: fs.readFileSync(candidate, 'utf8') };
    } catch (_) { /* try the next root */ }
  }
  return { error: `File not found: ${importPath} (searched ${roots.join(', ')})` };
}

const input = fs.readFileSync(0, 'utf8');
const output = solc.compile(input, { import: findImport });
fs.writeSync(1, output);
