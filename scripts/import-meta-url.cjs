// Injected by scripts/build-cli.mjs into the CommonJS bundle of the `piccolo` command, where it stands
// for `import.meta.url`.
export const import_meta_url = require("node:url").pathToFileURL(__filename).href;
