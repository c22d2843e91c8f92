// Validates api/asyncapi.yaml with the official AsyncAPI parser: the
// document's schema, its $refs and the parser's built-in rules. Errors
// fail the check; warnings are printed.
import { readFile } from "node:fs/promises";
import { Parser, DiagnosticSeverity } from "@asyncapi/parser";

const path = new URL("../asyncapi.yaml", import.meta.url).pathname;
const source = await readFile(path, "utf8");
const { document, diagnostics } = await new Parser().parse(source, { source: path });
const severity = (d) => ["error", "warning", "info", "hint"][d.severity] ?? String(d.severity);
for (const d of diagnostics) {
  if (d.severity === DiagnosticSeverity.Error || d.severity === DiagnosticSeverity.Warning) {
    console.log(`asyncapi.yaml ${severity(d)} at ${d.path.join(".") || "(root)"}: ${d.message} [${d.code}]`);
  }
}
const errors = diagnostics.filter((d) => d.severity === DiagnosticSeverity.Error);
if (!document || errors.length > 0) {
  console.error(`asyncapi.yaml is not valid: ${errors.length} error(s)`);
  process.exit(1);
}
console.log(
  `asyncapi.yaml: valid AsyncAPI ${document.version()}, ${document.allMessages().length} messages, ${document.operations().length} operations`,
);
