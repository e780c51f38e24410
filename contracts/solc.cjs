// Runs the npm `solc` (pinned in package.json) on a standard-JSON input read from stdin and writes
// {"version": ..., "output": ...} to stdout. Imports such as "@openzeppelin/..." resolve under
// node_modules. Used by `python -m contracts.build`; needs no network.
const fs = require("fs");
const path = require("path");
const solc = require("solc");

const root = path.resolve(__dirname, "..");
function findImports(name) {
  for (const base of [path.join(root, "node_modules"), path.join(root, "contracts")]) {
    const p = path.join(base, name);
    if (p.startsWith(base) && fs.existsSync(p)) return { contents: fs.readFileSync(p, "utf8") };
  }
  return { error: "import not found: " + name };
}
const input = fs.readFileSync(0, "utf8");
const output = JSON.parse(solc.compile(input, { import: findImports }));
process.stdout.write(JSON.stringify({ version: solc.version(), output }));
