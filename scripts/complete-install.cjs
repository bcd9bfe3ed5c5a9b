// The last step of `npm ci` in a checkout (the prepare script).
//
// npm leaves out the optional dependencies whose engines exclude the Node.js that npm itself runs on,
// but the npm scripts run on the Node.js 24 of the `node` development dependency. When npm ran on an
// older node (18, or 20 before 20.19), the native bundler that vitest needs (@rolldown/binding-*) is
// missing. This step runs on Node.js 24 and lets npm add, from package-lock.json, what it installs
// for Node.js 24 (`npm install --no-save` leaves package.json and package-lock.json as they are).
//
// Plain JavaScript that any Node.js parses: with the `node` package absent, it runs on the machine's
// node and has nothing to do.
'use strict';
const { spawnSync } = require('node:child_process');

const agent = /\bnode\/(v\d+\.\d+\.\d+)/.exec(process.env.npm_config_user_agent || '');
const npmCli = process.env.npm_execpath;
if (agent && npmCli && agent[1] !== process.version) {
  process.stderr.write(
    `esalert: npm ran on Node.js ${agent[1]}; adding what it left out for Node.js ${process.version}, which runs the npm scripts\n`,
  );
  const res = spawnSync(
    process.execPath,
    [npmCli, 'install', '--no-save', '--ignore-scripts', '--no-audit', '--no-fund'],
    { stdio: 'inherit' },
  );
  process.exit(res.status === null ? 1 : res.status);
}
