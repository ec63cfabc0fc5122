// Tokenizes a file with the extension's TextMate grammar, as VS Code does (vscode-textmate).
// Usage: node tokenize.js TOOLS_DIR GRAMMAR FILE  -> JSON: per line, [start, end, scopes]
"use strict";
const fs = require("fs");
const [tools, grammarPath, file] = process.argv.slice(2);
const tm = require(`${tools}/node_modules/vscode-textmate`);
const onig = require(`${tools}/node_modules/vscode-oniguruma`);
const wasm = fs.readFileSync(`${tools}/node_modules/vscode-oniguruma/release/onig.wasm`).buffer;
const onigLib = onig.loadWASM(wasm).then(() => ({
  createOnigScanner: (patterns) => new onig.OnigScanner(patterns),
  createOnigString: (text) => new onig.OnigString(text),
}));
const registry = new tm.Registry({
  onigLib,
  loadGrammar: async () => tm.parseRawGrammar(fs.readFileSync(grammarPath, "utf8"), grammarPath),
});
registry.loadGrammar("source.mops").then((grammar) => {
  let stack = tm.INITIAL;
  const lines = fs.readFileSync(file, "utf8").split("\n").map((line) => {
    const result = grammar.tokenizeLine(line, stack);
    stack = result.ruleStack;
    return result.tokens.map((t) => [t.startIndex, t.endIndex, t.scopes]);
  });
  process.stdout.write(JSON.stringify(lines));
});
