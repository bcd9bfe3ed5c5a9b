// Refuses a Node.js that cannot run esalert, in one sentence, before anything else is loaded.
//
// Plain JavaScript that every Node.js can parse. The npm scripts preload it (node --require) ahead of
// the TypeScript sources, which an old Node.js cannot even open; src/cli/main.ts imports it first,
// so the compiled dist/cli/main.js runs it before any dependency is evaluated.
'use strict';

/** package.json's engines: Node.js 24 and later, or 22.18+ (the first 22 to run TypeScript unflagged). */
function isSupportedNode(version) {
  const [major, minor] = version.replace(/^v/, '').split('.').map(Number);
  return major >= 24 || (major === 22 && minor >= 18);
}

if (!isSupportedNode(process.versions.node)) {
  // Under an npm script, node_modules/.bin/node (the `node` devDependency) should have been found first.
  const hint = process.env.npm_lifecycle_event
    ? ': `npm ci` installs Node.js 24 for the npm scripts unless install scripts are turned off'
    : '';
  process.stderr.write(
    `esalert needs Node.js 24 (or 22.18 or later), and ${process.execPath} is Node.js ${process.versions.node}${hint}.\n`,
  );
  process.exit(1);
}

module.exports = { isSupportedNode };
