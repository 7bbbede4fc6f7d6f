#!/usr/bin/env python3
"""Splits tests/golden/chat/*/cases.json into files a shell test can use
without a JSON tool: for each template, NN.json (the messages), NN.want (the
rendered string, exact bytes) or NN.error (the raise_exception message), and
index.txt ("NN FLAGS..." per case: --no-generation-prompt, --template-var).
Run from the repository root; rerunning gives the same bytes."""
import json, os

ROOT = "tests/golden"
for name in ["chatml", "chatml-strict", "llama3", "qwen3"]:
    data = json.load(open(f"{ROOT}/chat/{name}/cases.json", encoding="utf-8"))
    out = f"{ROOT}/chat-cli/{name}"
    os.makedirs(out, exist_ok=True)
    index = []
    for i, case in enumerate(data["cases"]):
        nn = f"{i:02d}"
        with open(f"{out}/{nn}.json", "w", encoding="utf-8") as f:
            json.dump(case["messages"], f, ensure_ascii=False)
        flags = []
        if not case["add_generation_prompt"]:
            flags.append("--no-generation-prompt")
        for k, v in (case.get("kwargs") or {}).items():
            flags.append(f"--template-var {k}={json.dumps(v)}")
        if "error" in case:
            open(f"{out}/{nn}.error", "w", encoding="utf-8").write(case["error"])
        else:
            open(f"{out}/{nn}.want", "wb").write(case["rendered"].encode("utf-8"))
        index.append(" ".join([nn] + flags))
    open(f"{out}/index.txt", "w").write("\n".join(index) + "\n")
