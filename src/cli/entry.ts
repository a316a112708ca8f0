#!/usr/bin/env node
// The `piccolo` bin. `npm run build` bundles it (scripts/build-cli.mjs: this file, the commands,
// Kysely and commander, one ES module) to dist/bin/piccolo.js, which package.json's `bin` names;
// tsc's dist/cli/entry.js runs the same command unbundled.
import "./main.js";
