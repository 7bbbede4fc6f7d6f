#!/usr/bin/env python3
"""Writes cases.json: small templates, one construct or one error each, with
what Python's Jinja2 renders when set up as transformers' apply_chat_template
sets it up (ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True),
loopcontrols, raise_exception, tojson as json.dumps without ASCII escaping).
Run: python3 tests/golden/template/make-cases.py > tests/golden/template/cases.json
(Jinja2 3.1.6 made the committed file.)"""
import datetime
import json
import sys

import jinja2
from jinja2.exceptions import TemplateError
from jinja2.ext import loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment


def raise_exception(message):
    raise TemplateError(message)


def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


def strftime_now(format):
    # transformers formats datetime.now(); the C test fixes its clock at this instant (UTC)
    return datetime.datetime(2024, 7, 26, 0, 0, 0).strftime(format)


env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols])
env.filters["tojson"] = tojson
env.globals["raise_exception"] = raise_exception
env.globals["strftime_now"] = strftime_now

MSGS = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello!"}, {"role": "user", "content": "Bye"}]

# (name, template, context)
CASES = [
    # text and whitespace control
    ("text only", "hello\nworld", {}),
    ("trailing newline dropped", "hello\n", {}),
    ("two trailing newlines", "hello\n\n", {}),
    ("crlf normalized", "a\r\nb\rc", {}),
    ("trim_blocks", "{% if true %}\nyes\n{% endif %}\nend", {}),
    ("trim_blocks one newline only", "{% if true %}\n\nyes{% endif %}", {}),
    ("lstrip_blocks", "  {% if true %}x{% endif %}\n    {% if true %}y{% endif %}", {}),
    ("lstrip_blocks tabs", "\t {% if true %}x{% endif %}", {}),
    ("lstrip not for variables", "  {{ 'x' }}", {}),
    ("lstrip needs only whitespace", "a {% if true %}x{% endif %}", {}),
    ("minus strips both sides", "a  \n  {%- if true -%}  \n  x  \n  {%- endif -%}\n  b", {}),
    ("variable minus", "a \n {{- 'x' -}} \n b", {}),
    ("plus keeps lstrip", "  {%+ if true %}x{% endif %}", {}),
    ("plus keeps trailing newline", "{% if true +%}\nx{% endif %}", {}),
    ("comment", "a{# c #}b", {}),
    ("comment trim", "a\n  {# c #}\nb", {}),
    ("comment minus", "a  {#- c -#}  b", {}),
    ("raw", "{% raw %}{{ x }}{% if %}{% endraw %}", {}),
    ("raw minus", "a {%- raw -%} {{ x }} {%- endraw -%} b", {}),
    ("raw newline kept after start", "{% raw %}\nx\n{% endraw %}\ny", {}),
    ("minus strips unicode space", "a\u3000{%- if true %}b{% endif %}", {}),
    ("block after output line", "{{ 'a' }}\n  {% if true %}b{% endif %}", {}),
    ("nested lstrip lines", "{% for x in [1,2] %}\n  {% if x %}\n    v{{ x }}\n  {% endif %}\n{% endfor %}", {}),
    ("trim_blocks keeps spaces before the newline", "{% if true %}  \n  x{% endif %}", {}),
    ("minus after text newline", "a\n{%- if true %}b{% endif %}", {}),
    ("output then blocks on lines", "{{ 'a' }}\n{% if true %}\nb\n{% endif %}\nc\n", {}),
    ("lstrip comment line", "  {# c #}\nx", {}),
    ("lstrip leaves nbsp", "\u00a0{% if true %}x{% endif %}", {}),
    ("join loop with separators", "{% for x in xs %}{{ x }}{% if not loop.last %}, {% endif %}{% endfor %}", {"xs": [1, 2, 3]}),
    ("output minus space", "a {{- ' ' -}} b", {}),
    ("lone braces in text", "a { b } c {{ '{' }} %} #}", {}),
    ("comment holding tags", "{# {{ x }} {% if %} #}ok", {}),
    ("comment minus blank lines", "x{#- c -#}\n\ny", {}),
    ("tag across lines", "{% if\n true\n %}x{% endif\n%}", {}),
    ("string holding tag ends", "{{ '%}' }}{% set x = '}}' %}{{ x }}", {}),
    ("dict literal braces", "{{ {'a': {'b': 1}} }}", {}),
    ("filter chain", "{{ x|default('a')|upper }}{% set y = y|default(5) %}{{ y }}", {}),
    ("length minus one", "{{ messages|length - 1 }}", {"messages": [1, 2, 3]}),
    ("not in precedence", "{{ not 1 in [1] }} {{ x is not defined and true }}", {}),
    ("mul and unary minus", "{{ 10 // 3 * 2 }} {{ 2 * -1 }} {{ -2 * -2 }}", {}),
    ("loop over unicode string", "{% for c in 'añ😀' %}[{{ c }}]{% endfor %}", {}),
    ("indented for body", "<ul>\n    {% for x in xs %}\n    <li>{{ x }}</li>\n    {% endfor %}\n</ul>", {"xs": ["a", "b"]}),
    ("if else on own lines", "{% if false %}\n  no\n{% else %}\n  yes\n{% endif %}\n", {}),
    ("elif chain minus", "{%- if x == 1 -%}\n one\n{%- elif x == 2 -%}\n two\n{%- else -%}\n other\n{%- endif -%}\n", {"x": 2}),
    ("percent format", "{{ '%s-%d' % ('a', 3) }} {{ 'x=%s' % 5 }} {{ '100%%' % () }}", {}),
    ("error percent too many", "{{ '%s' % (1, 2) }}", {}),
    ("error percent too few", "{{ '%s %s' % (1,) }}", {}),
    ("percent float repr", "{{ '%.2f|%r|%f' % (3.14159, 'a', 2) }}", {}),
    # found by rendering the fuzzer's corpus with both Jinja2 and this interpreter
    ("numbers hex octal binary", "{{ 0x1F }} {{ 0o17 }} {{ 0b101 }} {{ 0 }} {{ 0_0 }} {{ 007.5 }} {{ 1e999 }} {{ 1_0.5 }}", {}),
    ("dotted index then number", "{{ xs.1.0 }}", {"xs": [[1], [2, 3]]}),
    ("error int of undefined", "{{ nothing|int }}", {}),
    ("indent splits like splitlines", "{{ 'a\\fb\\x0bc\\r\\nd\\n'|indent(2) }}|{{ ''|indent(2, true) }}|{{ 'x\\n'|indent(1, true, true) }}", {}),
    ("escape twice", "{{ '<&>'|e|e }} {{ '<b>'|safe|e }} {{ ('<'|e) ~ '<' }}", {}),
    ("generators are true", "{{ 'y' if xs|selectattr('a') else 'n' }} {{ 'y' if []|map('upper') else 'n' }} {{ xs|selectattr('a')|first }}", {"xs": [{"b": 1}, {"a": 2}]}),
    ("error generator length", "{{ [1, 2]|select('odd')|length }}", {}),
    ("error items length", "{{ {'a': 1}|items|length }}", {}),
    ("error generator last", "{{ [1, 2]|map('string')|last }}", {}),
    ("reverse is an iterator", "{{ [1, 2]|reverse|list }} {{ [1, 2]|reverse|first }}", {}),
    ("upper test on non-strings", "{{ range is upper }} {{ 5 is lower }} {{ 'ABC' is upper }}", {}),
    ("error selectattr path past a missing key", "{{ xs|selectattr('a.b')|list }}", {"xs": [{"c": 1}]}),
    ("first and last of undefined", "[{{ nothing|first }}][{{ nothing|last }}][{{ (nothing|first) is defined }}]", {}),
    ("undefined is a sequence", "{{ nothing is sequence }} {{ [1]|select is sequence }}", {}),
    ("error indent of undefined", "{{ nothing|indent(2) }}", {}),
    ("error indent of a number", "{{ 5|indent(2) }}", {}),
    ("error replace without new", "{{ 'a'|replace('a') }}", {}),
    # literals and printing
    ("ints", "{{ 1 }} {{ -3 }} {{ 1_000 }}", {}),
    ("floats", "{{ 1.0 }} {{ 2.5 }} {{ 1e3 }} {{ 0.1 + 0.2 }} {{ 1e-7 }} {{ 1e16 }} {{ 123456789012345678.0 }}", {}),
    ("division", "{{ 7 / 2 }} {{ 6 / 3 }} {{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % 3 }} {{ -7 % 3 }} {{ 2 ** 10 }} {{ 7.5 // 2 }}", {}),
    ("bools none", "{{ true }} {{ False }} {{ none }} {{ None }}", {}),
    ("string escapes", "{{ 'a\\nb\\t\\'c\\\\' }}|{{ \"q\\\"\" }}|{{ '\\x41\\u00e9\\U0001F600' }}|{{ '\\d' }}", {}),
    ("adjacent strings", "{{ 'a' 'b' \"c\" }}", {}),
    ("list repr", "{{ [1, 'a', none, true, 1.5, ['x']] }}", {}),
    ("dict repr", "{{ {'a': 1, 'b': [2], 3: 'c'} }}", {}),
    ("tuple repr", "{{ (1, 'a') }} {{ (1,) }} {{ () }}", {}),
    ("string repr quotes", "{{ [\"it's\", 'say \"hi\"', \"both ' \\\"\", 'nl\\n'] }}", {}),
    ("repr unicode", "{{ ['é', '\\u00a0', '\\x07', '\\u200b'] }}", {}),
    ("undefined prints empty", "[{{ nothing }}]", {}),
    ("none attribute of context", "{{ x }}", {"x": None}),
    # operators
    ("concat tilde", "{{ 'a' ~ 1 ~ none ~ nothing ~ true }}", {}),
    ("string plus", "{{ 'a' + 'b' }}", {}),
    ("string times", "{{ '-' * 5 }}{{ 3 * 'ab' }}", {}),
    ("list plus", "{{ [1] + [2, 3] }}", {}),
    ("comparisons", "{{ 1 < 2 }} {{ 2 <= 1 }} {{ 'a' < 'b' }} {{ 1 == 1.0 }} {{ 1 != 2 }} {{ [1,2] == [1,2] }} {{ 1 < 2 < 3 }} {{ 3 > 2 > 4 }}", {}),
    ("true equals one", "{{ true == 1 }} {{ none == none }} {{ nothing == nothing }}", {}),
    ("in", "{{ 'b' in 'abc' }} {{ 2 in [1, 2] }} {{ 'k' in {'k': 1} }} {{ 'z' not in 'abc' }} {{ 'x' in nothing }}", {}),
    ("and or values", "{{ 0 or 'x' }} {{ 'a' and 'b' }} {{ '' and 'b' }} {{ none or none }}", {}),
    ("not", "{{ not true }} {{ not '' }} {{ not nothing }}", {}),
    ("inline if", "{{ 'y' if true else 'n' }} {{ 'y' if false else 'n' }} [{{ 'y' if false }}]", {}),
    ("precedence", "{{ 1 + 2 * 3 }} {{ (1 + 2) * 3 }} {{ -2 ** 2 }} {{ 2 ** 3 ** 2 }} {{ (1 + 2) ~ 3 }}", {}),
    ("error tilde binds tighter than plus", "{{ 1 + 2 ~ 3 }}", {}),
    ("filter binds tight", "{{ 'a' + ' b '|trim + 'c' }}", {}),
    ("not in with is", "{{ not x is defined }}", {}),
    # variables, attributes, items, slices
    ("attr and item", "{{ m.role }} {{ m['role'] }} {{ m.content }}", {"m": {"role": "user", "content": "hi"}}),
    ("list index", "{{ xs[0] }} {{ xs[-1] }} [{{ xs[5] }}]", {"xs": [1, 2, 3]}),
    ("dotted int index", "{{ xs.0 }}", {"xs": ["a", "b"]}),
    ("missing attr prints empty", "[{{ m.nope }}]", {"m": {}}),
    ("slices", "{{ xs[1:] }} {{ xs[:2] }} {{ xs[::-1] }} {{ xs[::2] }} {{ xs[-2:] }} {{ xs[1:-1] }} {{ xs[5:] }} {{ xs[:-5] }}", {"xs": [1, 2, 3, 4]}),
    ("string slices", "{{ s[1:] }} {{ s[::-1] }} {{ s[0] }} {{ s[-1] }} {{ s[1:3] }}", {"s": "héllo€"}),
    ("messages slice loop", "{% for m in messages[1:] %}{{ m.role }},{% endfor %}", {"messages": MSGS}),
    ("reverse loop", "{% for m in messages[::-1] %}{{ loop.index0 }}{{ m.role[0] }}{% endfor %}", {"messages": MSGS}),
    ("dict method names", "{{ d.items()|list }} {{ d.keys()|list }} {{ d.values()|list }} {{ d.get('a') }} {{ d.get('z', 9) }} {{ d.get('z') }}", {"d": {"a": 1, "b": 2}}),
    ("dict key shadowed by method", "{{ d['items'] }} {{ d.items is defined }}", {"d": {"items": "x"}}),
    ("int and float context", "{{ a }} {{ b }} {{ a|tojson }} {{ b|tojson }}", {"a": 1, "b": 1.0}),
    # statements
    ("if elif else", "{% for x in [1, 2, 3] %}{% if x == 1 %}one{% elif x == 2 %}two{% else %}many{% endif %} {% endfor %}", {}),
    ("for loop vars", "{% for x in 'abc' %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.revindex0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }};{% endfor %}", {}),
    ("for else", "{% for x in [] %}x{% else %}empty{% endfor %}", {}),
    ("for filter", "{% for m in messages if m.role != 'system' %}{{ loop.index }}{{ m.role }}{{ loop.length }} {% endfor %}", {"messages": MSGS}),
    ("for unpack items", "{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}", {"d": {"a": 1, "b": "x"}}),
    ("for over dict", "{% for k in d %}{{ k }}{% endfor %}", {"d": {"a": 1, "b": 2}}),
    ("for over undefined", "{% for k in nothing %}x{% endfor %}done", {}),
    ("nested loop", "{% for a in [1,2] %}{% for b in 'xy' %}{{ loop.index }}{{ a }}{{ b }} {% endfor %}{{ loop.index }}|{% endfor %}", {}),
    ("previtem nextitem cycle", "{% for x in [1,2,3] %}{{ loop.previtem }}-{{ loop.nextitem }}-{{ loop.cycle('a','b') }};{% endfor %}", {}),
    ("break continue", "{% for x in range(10) %}{% if x == 2 %}{% continue %}{% endif %}{% if x == 5 %}{% break %}{% endif %}{{ x }}{% endfor %}", {}),
    ("set in loop does not leak", "{% set x = 1 %}{% for i in [1,2] %}{{ x }}{% set x = i * 10 %}{{ x }} {% endfor %}{{ x }}", {}),
    ("set in if leaks", "{% if true %}{% set x = 5 %}{% endif %}{{ x }}", {}),
    ("namespace", "{% set ns = namespace(n=0, s='') %}{% for i in [1,2,3] %}{% set ns.n = ns.n + i %}{% set ns.s = ns.s ~ i %}{% endfor %}{{ ns.n }} {{ ns.s }}", {}),
    ("namespace missing attr", "[{{ namespace(a=1).b }}]", {}),
    ("set tuple", "{% set a, b = 1, 2 %}{{ a }}{{ b }}{% set t = 1, 2 %}{{ t }}", {}),
    ("set block", "{% set x %}a{{ 1 + 1 }}b{% endset %}[{{ x }}]", {}),
    ("set block filter", "{% set x | upper %}ab {{ 'c' }}{% endset %}[{{ x }}]", {}),
    ("macro", "{% macro greet(name, punct='!') %}Hi {{ name }}{{ punct }}{% endmacro %}{{ greet('a') }} {{ greet('b', '?') }} {{ greet(punct='.', name='c') }}", {}),
    ("macro reads globals", "{% macro m() %}{{ bos_token }}{% endmacro %}{{ m() }}", {"bos_token": "<s>"}),
    ("macro missing arg", "{% macro m(a) %}[{{ a }}]{% endmacro %}{{ m() }}", {}),
    ("macro recursion", "{% macro f(n) %}{{ n }}{% if n > 0 %}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(3) }}", {}),
    ("macro with whitespace", "{% macro render(m) %}\n  {{ m.role }}: {{ m.content }}\n{% endmacro %}\n{% for m in messages %}\n{{ render(m) }}\n{% endfor %}", {"messages": MSGS}),
    ("raise_exception", "{% if true %}{{ raise_exception('Roles must alternate') }}{% endif %}", {}),
    ("error raise_exception without a message", "{{ raise_exception() }}", {}),
    ("raise_exception concat", "{{ raise_exception('bad role: ' + m.role) }}", {"m": {"role": "tool"}}),
    # filters
    ("trim", "[{{ '  a b \\n'|trim }}][{{ 'xxaxx'|trim('x') }}][{{ '\\u3000a\\u00a0'|trim }}][{{ '\\ufeffa'|trim }}]", {}),
    ("length", "{{ 'héllo'|length }} {{ [1,2]|length }} {{ {'a':1}|length }} {{ nothing|length }} {{ [1,2,3]|count }}", {}),
    ("tojson", "{{ {'a': [1, 2.5, none, true], 'b': 'é\"\\n\\u0001', 'c': {}}|tojson }}", {}),
    ("tojson indent", "{{ {'a': [1, {'b': 2}], 'c': [], 'd': {}}|tojson(indent=2) }}", {}),
    ("tojson context", "{% for t in tools %}{{ t|tojson }}\n{% endfor %}", {"tools": [{"type": "function", "function": {"name": "get_weather", "description": "Get the weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}, "n": {"type": "integer", "minimum": 0.5}}, "required": ["city"]}}}]}),
    ("tojson sort_keys", "{{ {'b': 1, 'a': 2}|tojson(sort_keys=true) }}", {}),
    ("tojson sort_keys many", "{{ d|tojson(sort_keys=true, indent=1) }}", {"d": {k: i for i, k in enumerate(["é", "b", "a", "ab", "", "Z", "aa", "€", "😀", "z", "ba", "a b"])}}),
    ("tojson ensure_ascii kw", "{{ 'é😀'|tojson(ensure_ascii=true) }}", {}),
    ("tojson string", "{{ 'a\\tb'|tojson }}", {}),
    ("upper lower", "{{ 'aBc é'|upper }} {{ 'AbC É'|lower }}", {}),
    ("capitalize title", "{{ 'hELLO world'|capitalize }} {{ 'hello wORLD-x (y)'|title }}", {}),
    ("join", "{{ [1, 'a', none]|join(', ') }} {{ 'abc'|join('-') }} {{ [{'n': 'x'}, {'n': 'y'}]|join('/', attribute='n') }} {{ ['a','b']|join }}", {}),
    ("default", "{{ nothing|default('d') }} {{ ''|default('d') }} {{ ''|default('d', true) }} {{ none|d('x') }} {{ 0|d('x', boolean=true) }}", {}),
    ("items filter", "{% for k, v in {'a': 1, 'b': 2}|items %}{{ k }}{{ v }}{% endfor %}{{ nothing|items|list }}", {}),
    ("first last list", "{{ [1,2,3]|first }} {{ [1,2,3]|last }} {{ 'abc'|first }} {{ 'abc'|list }} {{ {'a':1}|list }} [{{ []|first }}]", {}),
    ("string int float", "{{ 12|string ~ 'x' }} {{ '42'|int + 1 }} {{ '4.7'|int }} {{ 'x'|int }} {{ 'x'|int(7) }} {{ 3.9|int }} {{ '2.5'|float }} {{ 'ff'|int(base=16) }}", {}),
    ("replace", "{{ 'aXbXc'|replace('X', '-') }} {{ 'aaa'|replace('a', 'b', 2) }} {{ 'ab'|replace('', '.') }}", {}),
    ("safe escape", "{{ '<b>'|safe }} {{ '<a href=\"x\">&'|e }}", {}),
    ("selectattr rejectattr", "{{ messages|selectattr('role', 'equalto', 'user')|map(attribute='content')|join(',') }} {{ messages|rejectattr('role', 'eq', 'user')|list|length }}", {"messages": MSGS}),
    ("selectattr truthy", "{{ xs|selectattr('a')|list|length }}", {"xs": [{"a": 1}, {"a": 0}, {"b": 1}]}),
    ("select reject", "{{ [1,2,3,4]|select('even')|list }} {{ [1,2,3,4]|reject('odd')|list }} {{ [0,1,'',none,'a']|select|list }}", {}),
    ("map filter", "{{ ['a','b']|map('upper')|join }} {{ [' a ']|map('trim')|list }}", {}),
    ("abs reverse", "{{ -3|abs }} {{ (-3)|abs }} {{ [1,2]|reverse|list }} {{ 'abc'|reverse }}", {}),
    ("indent", "{{ 'a\\nb\\n\\nc'|indent(2) }}|{{ 'a\\nb'|indent(2, true) }}|{{ 'a\\n\\nb'|indent(2, blank=true) }}", {}),
    # tests
    ("tests types", "{{ 1 is number }} {{ true is number }} {{ 1 is integer }} {{ true is integer }} {{ 1.0 is float }} {{ 's' is string }} {{ {} is mapping }} {{ [] is sequence }} {{ 's' is sequence }} {{ {} is sequence }} {{ 1 is iterable }} {{ nothing is iterable }}", {}),
    ("tests values", "{{ none is none }} {{ x is none }} {{ true is true }} {{ 1 is true }} {{ false is false }} {{ true is boolean }} {{ 2 is even }} {{ 3 is odd }} {{ 6 is divisibleby 3 }} {{ 2 is eq 2 }} {{ 'a' is equalto 'a' }} {{ 2 is in [1,2] }} {{ 3 is gt 2 }}", {"x": None}),
    ("tests defined", "{{ x is defined }} {{ y is defined }} {{ y is undefined }} {{ x is not none }} {{ m.a is defined }} {{ m.b is defined }}", {"x": 1, "m": {"a": 1}}),
    ("test callable", "{{ range is callable }} {{ 'a'.upper is callable }} {{ 1 is callable }}", {}),
    ("test lower upper", "{{ 'abc' is lower }} {{ 'ABC' is upper }} {{ 'aB' is lower }}", {}),
    # string methods
    ("startswith endswith", "{{ 'hello'.startswith('he') }} {{ 'hello'.endswith('lo') }} {{ 'hello'.startswith(('x', 'h')) }} {{ 'hello'.startswith('l', 2) }}", {}),
    ("strip family", "[{{ '  a  '.strip() }}][{{ '  a  '.lstrip() }}][{{ '  a  '.rstrip() }}][{{ '\\n\\nx\\n'.strip('\\n') }}][{{ 'xyax'.strip('xy') }}]", {}),
    ("split", "{{ 'a,b,,c'.split(',') }} {{ '  a  b \\n c '.split() }} {{ 'a,b,c'.split(',', 1) }} {{ 'a b c'.rsplit(' ', 1) }} {{ 'a</think>b'.split('</think>')[-1] }}", {}),
    ("replace method", "{{ 'a-b-c'.replace('-', '+') }} {{ 'a-b-c'.replace('-', '+', 1) }}", {}),
    ("case methods", "{{ 'ab'.upper() }} {{ 'AB'.lower() }} {{ 'hello wORLD'.title() }} {{ 'hELLO'.capitalize() }} {{ \"they're\".title() }}", {}),
    ("format join find", "{{ '{} and {}'.format(1, 'b') }} {{ '{0}{1}{0}'.format('a', 'b') }} {{ '{x}!'.format(x=3) }} {{ ', '.join(['a', 'b']) }} {{ 'hello'.find('l') }} {{ 'hello'.count('l') }}", {}),
    ("splitlines", "{{ 'a\\nb\\r\\nc\\n'.splitlines() }}", {}),
    # globals
    ("range", "{{ range(3)|list }} {{ range(1, 7, 2)|list }} {{ range(5, 0, -2)|list }}", {}),
    ("dict global", "{{ dict(a=1, b='x') }}", {}),
    # real-world-like pieces
    ("qwen-style think split", "{% set c = m.content %}{% if '</think>' in c %}{{ c.split('</think>')[0].rstrip('\\n').split('<think>')[-1].lstrip('\\n') }}|{{ c.split('</think>')[-1].lstrip('\\n') }}{% endif %}", {"m": {"content": "<think>\nreason\n</think>\n\nanswer"}}),
    ("system message pop", "{% if messages[0]['role'] == 'system' %}{% set sys = messages[0]['content'] %}{% set loop_messages = messages[1:] %}{% else %}{% set sys = '' %}{% set loop_messages = messages %}{% endif %}{{ sys }}|{% for m in loop_messages %}{{ m.role }}{% endfor %}", {"messages": MSGS}),
    # errors (the message after "line N: ")
    ("error undefined attribute", "{{ nothing.attr }}", {}),
    ("error missing attribute chain", "{{ m.a.b }}", {"m": {}}),
    ("error undefined call", "{{ nothing() }}", {}),
    ("error undefined plus", "{{ nothing + 1 }}", {}),
    ("error str plus int", "{{ 'a' + 1 }}", {}),
    ("error int plus str", "{{ 1 + 'a' }}", {}),
    ("error compare types", "{{ 1 < 'a' }}", {}),
    ("error division by zero", "{{ 1 / 0 }}", {}),
    ("error not iterable", "{% for x in 5 %}{% endfor %}", {}),
    ("error namespace assign", "{% set d = {} %}{% set d.x = 1 %}", {}),
    ("error list append", "{% set xs = [] %}{{ xs.append(1) }}", {}),
    ("error range too big", "{{ range(1000000)|length }}", {}),
    ("error tojson undefined", "{{ nothing|tojson }}", {}),
    ("error items of list", "{{ [1]|items|list }}", {}),
    ("error unpack", "{% for a, b in [[1, 2, 3]] %}{% endfor %}", {}),
    ("error len of int", "{{ 5|length }}", {}),
    ("error undefined in test arg", "{{ nothing is divisibleby 2 }}", {}),
]

# Real-world templates, written from memory of the hub's (the constructs are
# what matters: each renders here exactly as Jinja2 renders it).
SMOLLM2 = """{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system
You are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>
' }}{% endif %}{{'<|im_start|>' + message['role'] + '
' + message['content'] + '<|im_end|>' + '
'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant
' }}{% endif %}"""

ZEPHYR = """{% for message in messages %}
{% if message['role'] == 'user' %}
{{ '<|user|>
' + message['content'] + eos_token }}
{% elif message['role'] == 'system' %}
{{ '<|system|>
' + message['content'] + eos_token }}
{% elif message['role'] == 'assistant' %}
{{ '<|assistant|>
'  + message['content'] + eos_token }}
{% endif %}
{% if loop.last and add_generation_prompt %}
{{ '<|assistant|>' }}
{% endif %}
{% endfor %}"""

MISTRAL = """{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token}}{% else %}{{ raise_exception('Only user and assistant roles are supported!') }}{% endif %}{% endfor %}"""

QWEN25 = r"""{%- if tools %}
    {{- '<|im_start|>system\n' }}
    {%- if messages[0]['role'] == 'system' %}
        {{- messages[0]['content'] }}
    {%- else %}
        {{- 'You are Qwen, created by Alibaba Cloud. You are a helpful assistant.' }}
    {%- endif %}
    {{- "\n\n# Tools\n\nYou may call one or more functions to assist with the user query.\n\nYou are provided with function signatures within <tools></tools> XML tags:\n<tools>" }}
    {%- for tool in tools %}
        {{- "\n" }}
        {{- tool | tojson }}
    {%- endfor %}
    {{- "\n</tools>\n\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call><|im_end|>\n" }}
{%- else %}
    {%- if messages[0]['role'] == 'system' %}
        {{- '<|im_start|>system\n' + messages[0]['content'] + '<|im_end|>\n' }}
    {%- else %}
        {{- '<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n' }}
    {%- endif %}
{%- endif %}
{%- for message in messages %}
    {%- if (message.role == "user") or (message.role == "system" and not loop.first) or (message.role == "assistant" and not message.tool_calls) %}
        {{- '<|im_start|>' + message.role + '\n' + message.content + '<|im_end|>' + '\n' }}
    {%- elif message.role == "assistant" %}
        {{- '<|im_start|>' + message.role }}
        {%- if message.content %}
            {{- '\n' + message.content }}
        {%- endif %}
        {%- for tool_call in message.tool_calls %}
            {%- if tool_call.function is defined %}
                {%- set tool_call = tool_call.function %}
            {%- endif %}
            {{- '\n<tool_call>\n{"name": "' }}
            {{- tool_call.name }}
            {{- '", "arguments": ' }}
            {{- tool_call.arguments | tojson }}
            {{- '}\n</tool_call>' }}
        {%- endfor %}
        {{- '<|im_end|>\n' }}
    {%- elif message.role == "tool" %}
        {%- if (loop.index0 == 0) or (messages[loop.index0 - 1].role != "tool") %}
            {{- '<|im_start|>user' }}
        {%- endif %}
        {{- '\n<tool_response>\n' }}
        {{- message.content }}
        {{- '\n</tool_response>' }}
        {%- if loop.last or (messages[loop.index0 + 1].role != "tool") %}
            {{- '<|im_end|>\n' }}
        {%- endif %}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|im_start|>assistant\n' }}
{%- endif %}
"""

LLAMA32 = r"""{{- bos_token }}
{%- if custom_tools is defined %}
    {%- set tools = custom_tools %}
{%- endif %}
{%- if not tools_in_user_message is defined %}
    {%- set tools_in_user_message = true %}
{%- endif %}
{%- if not date_string is defined %}
    {%- if strftime_now is defined %}
        {%- set date_string = strftime_now("%d %b %Y") %}
    {%- else %}
        {%- set date_string = "26 Jul 2024" %}
    {%- endif %}
{%- endif %}
{%- if not tools is defined %}
    {%- set tools = none %}
{%- endif %}

{#- This block extracts the system message, so we can slot it into the right place. #}
{%- if messages[0]['role'] == 'system' %}
    {%- set system_message = messages[0]['content']|trim %}
    {%- set messages = messages[1:] %}
{%- else %}
    {%- set system_message = "" %}
{%- endif %}

{#- System message #}
{{- "<|start_header_id|>system<|end_header_id|>\n\n" }}
{%- if tools is not none %}
    {{- "Environment: ipython\n" }}
{%- endif %}
{{- "Cutting Knowledge Date: December 2023\n" }}
{{- "Today Date: " + date_string + "\n\n" }}
{%- if tools is not none and not tools_in_user_message %}
    {{- "You have access to the following functions. To call a function, please respond with JSON for a function call." }}
    {{- 'Respond in the format {"name": function name, "parameters": dictionary of argument name and its value}.' }}
    {{- "Do not use variables.\n\n" }}
    {%- for t in tools %}
        {{- t | tojson(indent=4) }}
        {{- "\n\n" }}
    {%- endfor %}
{%- endif %}
{{- system_message }}
{{- "<|eot_id|>" }}

{#- Custom tools are passed in a user message with some extra guidance #}
{%- if tools_in_user_message and not tools is none %}
    {#- Extract the first user message so we can plug it in here #}
    {%- if messages | length != 0 %}
        {%- set first_user_message = messages[0]['content']|trim %}
        {%- set messages = messages[1:] %}
    {%- else %}
        {{- raise_exception("Cannot put tools in the first user message when there's no first user message!") }}
{%- endif %}
    {{- '<|start_header_id|>user<|end_header_id|>\n\n' -}}
    {{- "Given the following functions, please respond with a JSON for a function call " }}
    {{- "with its proper arguments that best answers the given prompt.\n\n" }}
    {{- 'Respond in the format {"name": function name, "parameters": dictionary of argument name and its value}.' }}
    {{- "Do not use variables.\n\n" }}
    {%- for t in tools %}
        {{- t | tojson(indent=4) }}
        {{- "\n\n" }}
    {%- endfor %}
    {{- first_user_message + "<|eot_id|>"}}
{%- endif %}

{%- for message in messages %}
    {%- if not (message.role == 'ipython' or message.role == 'tool' or 'tool_calls' in message) %}
        {{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' }}
    {%- elif 'tool_calls' in message %}
        {%- if not message.tool_calls|length == 1 %}
            {{- raise_exception("This model only supports single tool-calls at once!") }}
        {%- endif %}
        {%- set tool_call = message.tool_calls[0].function %}
        {{- '<|start_header_id|>assistant<|end_header_id|>\n\n' -}}
        {{- '{"name": "' + tool_call.name + '", ' }}
        {{- '"parameters": ' }}
        {{- tool_call.arguments | tojson }}
        {{- "}" }}
        {{- "<|eot_id|>" }}
    {%- elif message.role == "tool" or message.role == "ipython" %}
        {{- "<|start_header_id|>ipython<|end_header_id|>\n\n" }}
        {%- if message.content is mapping or message.content is iterable %}
            {{- message.content | tojson }}
        {%- else %}
            {{- message.content }}
        {%- endif %}
        {{- "<|eot_id|>" }}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|start_header_id|>assistant<|end_header_id|>\n\n' }}
{%- endif %}
"""

GEMMA = """{{ bos_token }}{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if (message['role'] == 'assistant') %}{% set role = 'model' %}{% else %}{% set role = message['role'] %}{% endif %}{{ '<start_of_turn>' + role + '\n' + message['content'] | trim + '<end_of_turn>\n' }}{% endfor %}{% if add_generation_prompt %}{{'<start_of_turn>model\n'}}{% endif %}"""

PHI3 = """{% for message in messages %}{% if message['role'] == 'system' %}{{'<|system|>\n' + message['content'] + '<|end|>\n'}}{% elif message['role'] == 'user' %}{{'<|user|>\n' + message['content'] + '<|end|>\n'}}{% elif message['role'] == 'assistant' %}{{'<|assistant|>\n' + message['content'] + '<|end|>\n'}}{% endif %}{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>\n' }}{% else %}{{ eos_token }}{% endif %}"""

DEEPSEEK_R1 = """{% if not add_generation_prompt is defined %}{% set add_generation_prompt = false %}{% endif %}{% set ns = namespace(is_first=false, is_tool=false, is_output_first=true, system_prompt='') %}{%- for message in messages %}{%- if message['role'] == 'system' %}{% set ns.system_prompt = message['content'] %}{%- endif %}{%- endfor %}{{bos_token}}{{ns.system_prompt}}{%- for message in messages %}{%- if message['role'] == 'user' %}{%- set ns.is_tool = false -%}{{'<｜User｜>' + message['content']}}{%- endif %}{%- if message['role'] == 'assistant' and message['content'] is none %}{%- set ns.is_tool = false -%}{%- for tool in message['tool_calls']%}{%- if not ns.is_first %}{{'<｜Assistant｜><｜tool▁calls▁begin｜><｜tool▁call▁begin｜>' + tool['type'] + '<｜tool▁sep｜>' + tool['function']['name'] + '\n' + '```json' + '\n' + tool['function']['arguments'] + '\n' + '```' + '<｜tool▁call▁end｜>'}}{%- set ns.is_first = true -%}{%- else %}{{'\n' + '<｜tool▁call▁begin｜>' + tool['type'] + '<｜tool▁sep｜>' + tool['function']['name'] + '\n' + '```json' + '\n' + tool['function']['arguments'] + '\n' + '```' + '<｜tool▁call▁end｜>'}}{{'<｜tool▁calls▁end｜><｜end▁of▁sentence｜>'}}{%- endif %}{%- endfor %}{%- endif %}{%- if message['role'] == 'assistant' and message['content'] is not none %}{%- if ns.is_tool %}{{'<｜tool▁outputs▁end｜>' + message['content'] + '<｜end▁of▁sentence｜>'}}{%- set ns.is_tool = false -%}{%- else %}{% set content = message['content'] %}{% if '</think>' in content %}{% set content = content.split('</think>')[-1] %}{% endif %}{{'<｜Assistant｜>' + content + '<｜end▁of▁sentence｜>'}}{%- endif %}{%- endif %}{%- if message['role'] == 'tool' %}{%- set ns.is_tool = true -%}{%- if ns.is_output_first %}{{'<｜tool▁outputs▁begin｜><｜tool▁output▁begin｜>' + message['content'] + '<｜tool▁output▁end｜>'}}{%- set ns.is_output_first = false %}{%- else %}{{'\n<｜tool▁output▁begin｜>' + message['content'] + '<｜tool▁output▁end｜>'}}{%- endif %}{%- endif %}{%- endfor -%}{% if ns.is_tool %}{{'<｜tool▁outputs▁end｜>'}}{% endif %}{% if add_generation_prompt and not ns.is_tool %}{{'<｜Assistant｜><think>\n'}}{% endif %}"""

TOOLS = [{"type": "function", "function": {"name": "get_weather", "description": "Get the current weather in a city",
          "parameters": {"type": "object", "properties": {"city": {"type": "string", "description": "The city"},
                                                          "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
                         "required": ["city"]}}}]
TOOL_CHAT = [{"role": "system", "content": "You are a weather bot."},
             {"role": "user", "content": "Weather in Paris?"},
             {"role": "assistant", "content": "", "tool_calls": [{"type": "function", "function": {"name": "get_weather", "arguments": {"city": "Paris", "unit": "celsius"}}}]},
             {"role": "tool", "content": "{\"temp\": 21.5}"},
             {"role": "tool", "content": "sunny"},
             {"role": "assistant", "content": "21.5 °C and sunny in Paris."}]
LLAMA_TOOL_CHAT = [TOOL_CHAT[1], TOOL_CHAT[2], TOOL_CHAT[3], TOOL_CHAT[5]]
CHAT = [{"role": "user", "content": "Hi there"}, {"role": "assistant", "content": "Hello! How can I help?"},
        {"role": "user", "content": "  Tell me a joke.\n"}]
SYS_CHAT = [{"role": "system", "content": "You are terse."}] + CHAT

CASES += [
    ("smollm2 default system", SMOLLM2, {"messages": CHAT, "add_generation_prompt": True}),
    ("smollm2 own system", SMOLLM2, {"messages": SYS_CHAT, "add_generation_prompt": False}),
    ("zephyr", ZEPHYR, {"messages": SYS_CHAT, "add_generation_prompt": True, "eos_token": "</s>"}),
    ("zephyr no prompt", ZEPHYR, {"messages": CHAT, "add_generation_prompt": False, "eos_token": "</s>"}),
    ("mistral", MISTRAL, {"messages": CHAT, "bos_token": "<s>", "eos_token": "</s>"}),
    ("mistral rejects system", MISTRAL, {"messages": SYS_CHAT, "bos_token": "<s>", "eos_token": "</s>"}),
    ("mistral rejects order", MISTRAL, {"messages": [CHAT[1], CHAT[0]], "bos_token": "<s>", "eos_token": "</s>"}),
    ("qwen2.5 plain", QWEN25, {"messages": CHAT, "add_generation_prompt": True, "tools": None}),
    ("qwen2.5 tools", QWEN25, {"messages": TOOL_CHAT, "add_generation_prompt": True, "tools": TOOLS}),
    ("llama3.2 plain", LLAMA32, {"messages": SYS_CHAT, "add_generation_prompt": True, "bos_token": "<|begin_of_text|>"}),
    ("llama3.2 date string", LLAMA32, {"messages": CHAT, "add_generation_prompt": False, "bos_token": "<|begin_of_text|>", "date_string": "1 Jan 2025"}),
    ("llama3.2 tools", LLAMA32, {"messages": LLAMA_TOOL_CHAT, "add_generation_prompt": True, "bos_token": "<|begin_of_text|>", "tools": TOOLS}),
    ("llama3.2 tools in system", LLAMA32, {"messages": TOOL_CHAT[:2], "add_generation_prompt": True, "bos_token": "<|begin_of_text|>", "tools": TOOLS, "tools_in_user_message": False}),
    ("strftime_now", "{{ strftime_now('%Y-%m-%d %H:%M %A %B') }}", {}),
    ("gemma", GEMMA, {"messages": CHAT, "add_generation_prompt": True, "bos_token": "<bos>"}),
    ("gemma rejects system", GEMMA, {"messages": SYS_CHAT, "add_generation_prompt": True, "bos_token": "<bos>"}),
    ("phi3", PHI3, {"messages": SYS_CHAT, "add_generation_prompt": False, "eos_token": "<|endoftext|>"}),
    ("phi3 prompt", PHI3, {"messages": CHAT, "add_generation_prompt": True, "eos_token": "<|endoftext|>"}),
    ("deepseek r1", DEEPSEEK_R1, {"messages": SYS_CHAT + [{"role": "assistant", "content": "<think>\nhm\n</think>\n\nWhy did..."}], "add_generation_prompt": False, "bos_token": "<｜begin▁of▁sentence｜>"}),
    ("deepseek r1 tools", DEEPSEEK_R1, {"messages": [{"role": "user", "content": "Weather?"},
        {"role": "assistant", "content": None, "tool_calls": [{"type": "function", "function": {"name": "get_weather", "arguments": "{\"city\": \"Paris\"}"}},
                                                               {"type": "function", "function": {"name": "get_time", "arguments": "{}"}}]},
        {"role": "tool", "content": "21 C"}, {"role": "tool", "content": "12:00"}, {"role": "assistant", "content": "It is 21 C at noon."}],
        "add_generation_prompt": True, "bos_token": "<｜begin▁of▁sentence｜>"}),
    ("deepseek r1 no generation prompt variable", DEEPSEEK_R1, {"messages": CHAT, "bos_token": "<s>"}),
]


def main():
    out = []
    for name, src, ctx in CASES:
        # the context as JSON text: a C reader must see 1.0 as written
        case = {"name": name, "template": src, "context": json.dumps(ctx, ensure_ascii=False)}
        try:
            case["rendered"] = env.from_string(src).render(**ctx)
        except TemplateError as e:
            case["error"] = e.message if type(e) is TemplateError else str(e)
            case["error_type"] = type(e).__name__
        except Exception as e:  # TypeError, ZeroDivisionError, ...: Python's own message
            case["error"] = str(e)
            case["error_type"] = type(e).__name__
        out.append(case)
    json.dump({"generator": "tests/golden/template/make-cases.py", "jinja2": jinja2.__version__, "cases": out},
              sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")


main()
