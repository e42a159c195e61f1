#!/usr/bin/env node
// Prints, one per line and relative to the repository, what the haven client needs at run
// time: every compiled module reachable from bin/haven (static and dynamic imports, worker
// scripts and files named with `new URL(..., import.meta.url)`, createRequire calls), then
// the directory of every npm package those modules load together with the packages those
// depend on. stage-client.sh copies exactly this list, so a module the client does not reach
// (the daemon, TypeBox schemas, fastify, the AWS SDK) cannot end up in the client package;
// the package test runs the installed client, so a module this misses fails there.
//
// usage: node appliance/client-closure.mjs    (from a built checkout: dist/ and node_modules)

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');

// Declared as dependencies but used only to build the addons, never loaded at run time:
// headers (node-addon-api), a prebuilt-binary downloader that npm install ran (prebuild-install),
// and type declarations (@types/node).
const BUILD_ONLY = new Set(['node-addon-api', 'prebuild-install', '@types/node']);

// import/export ... from 'x' (statements span lines: [^;] crosses them), import('x'),
// require('x'), new URL('x', import.meta.url).
const SPECIFIERS = [
  /^\s*(?:import|export)\b[^;'"]*?\bfrom\s*'([^']+)'/gm,
  /^\s*import\s*'([^']+)'/gm,
  /\bimport\(\s*'([^']+)'\s*\)/g,
  /\brequire\(\s*'([^']+)'\s*\)/g,
  /\bnew URL\(\s*'([^']+)'\s*,\s*import\.meta\.url\s*\)/g,
];

function specifiersOf(file) {
  const text = readFileSync(file, 'utf8');
  return SPECIFIERS.flatMap((re) => [...text.matchAll(re)].map((m) => m[1]));
}

function packageName(specifier) {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** The directory Node resolves package `name` to from `fromDir` (nearest node_modules upwards). */
function packageDir(name, fromDir) {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dir === repo || dir === dirname(dir)) return null;
  }
}

const files = new Set();
const bare = new Map(); // package name -> the directory of a module importing it
const pending = [join(repo, 'dist/client/src/cli/main.js')];
while (pending.length > 0) {
  const file = pending.pop();
  if (files.has(file)) continue;
  if (!existsSync(file)) throw new Error(`client-closure: ${relative(repo, file)} is missing: build first`);
  files.add(file);
  if (!file.endsWith('.js')) continue;
  for (const spec of specifiersOf(file)) {
    if (spec.startsWith('node:')) continue;
    if (spec.startsWith('.')) pending.push(resolve(dirname(file), spec));
    else bare.set(packageName(spec), dirname(file));
  }
}

const packages = new Set();
const queue = [...bare].map(([name, from]) => ({ name, from, optional: false }));
while (queue.length > 0) {
  const { name, from, optional } = queue.pop();
  if (BUILD_ONLY.has(name)) continue;
  const dir = packageDir(name, from);
  if (dir === null) {
    // An optional dependency for another platform (lmdb's prebuilt binaries) is not installed.
    if (optional) continue;
    throw new Error(`client-closure: package ${name} (needed from ${relative(repo, from)}) is not installed`);
  }
  if (packages.has(dir)) continue;
  packages.add(dir);
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  for (const dep of Object.keys(manifest.dependencies ?? {})) queue.push({ name: dep, from: dir, optional: false });
  for (const dep of Object.keys(manifest.optionalDependencies ?? {})) queue.push({ name: dep, from: dir, optional: true });
}

// A nested package travels inside its parent's copy; list only the outermost directories.
const dirs = [...packages].sort();
const outermost = dirs.filter((d) => !dirs.some((p) => p !== d && d.startsWith(`${p}/`)));
for (const path of [...[...files].sort(), ...outermost]) console.log(relative(repo, path));
