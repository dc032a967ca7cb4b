#!/usr/bin/env node
// The gxp-ledger CLI (package.json "bin"). Runs the compiled TypeScript in dist/, built by
// `npm ci` (prepare), `npm run build` and `npm start`.
"use strict";
const path = require("node:path");
const fs = require("node:fs");
const main = path.join(__dirname, "..", "dist", "cli", "main.js");
if (!fs.existsSync(main)) {
  process.stderr.write("gxp-ledger: not built yet: run `npm run build`\n");
  process.exit(3);
}
require(main).run(process.argv);
