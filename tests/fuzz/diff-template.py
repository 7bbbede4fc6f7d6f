#!/usr/bin/env python3
"""diff-template.py — renders every input of fuzz_template corpus folders with
this interpreter (build/render-template) and with Python's Jinja2 set up as
transformers' apply_chat_template sets it up, with fuzz_template's fixed
conversation, and reports where they part: different text, or text on one
side and an error on the other. Needs Python's jinja2.
  make build/render-template
  python3 tests/fuzz/diff-template.py build-fuzz/corpus/fuzz_template tests/fuzz/corpus/fuzz_template
Inputs with a NUL byte (a template and its own context) and inputs that are
not UTF-8 are skipped. The differences go to /tmp/diff-template.json."""
import datetime
import json
import os
import re
import signal
import subprocess
import sys
import tempfile

from jinja2.exceptions import TemplateError, TemplateSyntaxError
from jinja2.ext import loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment


def raise_exception(message):
    raise TemplateError(message)


def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols])
env.filters["tojson"] = tojson
env.globals["raise_exception"] = raise_exception
env.globals["strftime_now"] = lambda f: datetime.datetime(2024, 7, 26).strftime(f)

# fuzz_template.c's fixed_context, as C writes it
source = open(os.path.join(os.path.dirname(__file__), "fuzz_template.c"), encoding="utf-8").read()
body = re.search(r"fixed_context\[\] =\s*(.*?);", source, re.S).group(1)
CONTEXT = "".join(json.loads('"' + piece + '"') for piece in re.findall(r'"((?:[^"\\]|\\.)*)"', body))
CTX = json.loads(CONTEXT)


class Timeout(Exception):
    pass


def on_alarm(*_):
    raise Timeout()


def python_render(src):
    signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(2)
    try:
        return "OK", env.from_string(src).render(**CTX)
    except Timeout:
        return "TIMEOUT", ""
    except TemplateSyntaxError as e:
        return "PERR", str(e)
    except TemplateError as e:
        return "ERR", str(e)
    except RecursionError:
        return "ERR", "recursion"
    except Exception as e:  # TypeError, ZeroDivisionError, OverflowError, ...
        return "ERR", type(e).__name__ + ": " + str(e)
    finally:
        signal.alarm(0)


def main():
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        f.write(CONTEXT)
        ctx_path = f.name
    counts, diffs = {}, []
    for folder in sys.argv[1:]:
        for name in sorted(os.listdir(folder)):
            path = os.path.join(folder, name)
            data = open(path, "rb").read()
            if b"\0" in data:
                continue
            try:
                src = data.decode("utf-8")
            except UnicodeDecodeError:
                continue
            py = python_render(src)
            run = subprocess.run(["build/render-template", path, ctx_path], capture_output=True, timeout=30)
            kind, _, rest = run.stdout.partition(b"\n")
            c = (kind.decode(), rest.decode("utf-8", "replace"))
            key = py[0] + "/" + c[0]
            counts[key] = counts.get(key, 0) + 1
            if (py[0] == "OK") != (c[0] == "OK") or (py[0] == "OK" and py[1] != c[1]):
                diffs.append({"input": path, "python": py, "c": c, "template": src})
    os.unlink(ctx_path)
    print("python/c outcomes:", dict(sorted(counts.items())))
    print(len(diffs), "differences (details in /tmp/diff-template.json)")
    json.dump(diffs, open("/tmp/diff-template.json", "w"), ensure_ascii=False, indent=1)


main()
