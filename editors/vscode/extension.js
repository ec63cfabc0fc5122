// Starts `mops lsp` (the MOps Flow language server) for .mops and .scenarios files.
"use strict";
const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const [command, ...args] = vscode.workspace.getConfiguration("mops").get("command", ["mops", "lsp"]);
  client = new LanguageClient(
    "mops",
    "MOps Flow",
    { command, args },
    {
      documentSelector: [
        { scheme: "file", language: "mops" },
        { scheme: "file", language: "mops-scenarios" },
      ],
    },
  );
  context.subscriptions.push(client);
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
