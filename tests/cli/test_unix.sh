# test_unix.sh — help, version, exit statuses, environment, install, man page.
. "$(dirname "$0")/lib.sh"
subs="generate tokenize detokenize logits perplexity info bench"

# Help and version: stdout, exit 0; usage errors: stderr, exit 2.
expect_status "gpt --help" 0 "$GPT" --help
grep -q "GPT_MODEL" "$TMP/out" && grep -q "GPT_THREADS" "$TMP/out" && grep -q "exit status" "$TMP/out" ||
    fail "--help lacks the environment or exit statuses"
[ ! -s "$TMP/err" ] || fail "--help wrote to stderr"
expect_status "gpt help" 0 "$GPT" help
expect_status "gpt --version" 0 "$GPT" --version
grep -q "^gpt [0-9]" "$TMP/out" && grep -q "^blas: " "$TMP/out" && grep -q "^cpu: " "$TMP/out" ||
    fail "--version: $(cat "$TMP/out")"
expect_status "no subcommand" 2 "$GPT"
grep -q "^usage: " "$TMP/err" || fail "no subcommand: no usage on stderr"
[ ! -s "$TMP/out" ] || fail "usage error wrote to stdout"
expect_status "unknown subcommand" 2 "$GPT" frobnicate
expect_status "help for no such subcommand" 2 "$GPT" help frobnicate
expect_status "unknown global flag" 2 "$GPT" --frobnicate

for s in $subs; do
    expect_status "gpt $s --help" 0 "$GPT" "$s" --help
    cp "$TMP/out" "$TMP/help-$s"
    grep -q "^usage: gpt $s" "$TMP/help-$s" || fail "gpt $s --help has no usage line"
    grep -qi "example" "$TMP/help-$s" || fail "gpt $s --help has no example"
    "$GPT" help "$s" >"$TMP/help2-$s"
    expect_file_eq "gpt help $s vs gpt $s --help" "$TMP/help2-$s" "$TMP/help-$s"
    expect_status "gpt $s with a bad flag" 2 "$GPT" "$s" --no-such-flag
    grep -q "^gpt: " "$TMP/err" && grep -q "^usage: gpt $s" "$TMP/err" || fail "gpt $s bad flag: $(cat "$TMP/err")"
done

# Each subcommand: 0 on success, 1 on a runtime error (a missing model).
expect_status "generate ok" 0 "$GPT" generate -p hi -n 2
expect_status "tokenize ok" 0 sh -c "echo hi | '$GPT' tokenize"
expect_status "detokenize ok" 0 sh -c "echo 5303 | '$GPT' detokenize"
expect_status "logits ok" 0 sh -c "echo hi | '$GPT' logits"
printf 'Once upon a time there was a king.' >"$TMP/text.txt"
expect_status "perplexity ok" 0 "$GPT" perplexity -f "$TMP/text.txt"
expect_status "info ok" 0 "$GPT" info
expect_status "bench ok" 0 "$GPT" bench -p 8 -n 4 -r 1
for s in $subs; do
    case $s in
        generate) set -- -p hi ;; perplexity) set -- -f "$TMP/text.txt" ;; *) set -- ;;
    esac
    expect_status "gpt $s with a missing model" 1 sh -c "echo hi | '$GPT' $s -m '$TMP/none' $*"
    grep -q "^gpt: .*$TMP/none" "$TMP/err" || fail "gpt $s missing model: $(cat "$TMP/err")"
done

# Environment: GPT_MODEL and GPT_THREADS are defaults that flags override.
expect_status "GPT_MODEL pointing nowhere" 1 env GPT_MODEL="$TMP/none" "$GPT" info
expect_status "-m wins over GPT_MODEL" 0 env GPT_MODEL="$TMP/none" "$GPT" info -m "$MODEL"
expect_status "GPT_MODEL used" 0 env GPT_MODEL="$TINY" "$GPT" info
grep -q "^layers: *2$" "$TMP/out" || fail "GPT_MODEL=dev-tiny not used: $(cat "$TMP/out")"
GPT_THREADS=1 "$GPT" -v info >/dev/null 2>"$TMP/err"
grep -q "threads: 1;" "$TMP/err" || fail "GPT_THREADS=1 not used: $(cat "$TMP/err")"
GPT_THREADS=1 "$GPT" -v bench -p 4 -n 2 -r 1 -t 2 >/dev/null 2>"$TMP/err"
grep -q "threads: 2;" "$TMP/err" || fail "-t 2 does not win over GPT_THREADS=1: $(cat "$TMP/err")"
GPT_THREADS=abc "$GPT" -v info >/dev/null 2>"$TMP/err" || fail "GPT_THREADS=abc broke gpt info"
# -q silences progress; errors still show.
"$GPT" -q generate -f "$TMP/text.txt" -n 600 --ignore-eos >/dev/null 2>"$TMP/err"
[ ! -s "$TMP/err" ] || fail "-q still printed: $(cat "$TMP/err")"

# Install into a temporary DESTDIR, run from /, uninstall.
make -s -C "$ROOT" install DESTDIR="$TMP/root" PREFIX=/usr >"$TMP/install.log" 2>&1 || fail "make install: $(cat "$TMP/install.log")"
for f in usr/bin/gpt usr/share/man/man1/gpt.1 usr/share/bash-completion/completions/gpt \
    usr/share/gpt/models/gpt2-books-30m/model.safetensors; do
    [ -f "$TMP/root/$f" ] || fail "make install did not install $f"
done
got=$(cd / && "$TMP/root/usr/bin/gpt" generate -p "Once upon a time" -n 4 --temperature 0)
expect_eq "installed gpt from /" "$got" "$(printf ', and\nthe')"
make -s -C "$ROOT" uninstall DESTDIR="$TMP/root" PREFIX=/usr >/dev/null 2>&1
[ -z "$(find "$TMP/root" -type f)" ] || fail "make uninstall left: $(find "$TMP/root" -type f)"

# The man page names every long flag that any --help names.
sed 's/\\-/-/g' "$ROOT/docs/gpt.1" >"$TMP/man.txt"
cat "$TMP"/help-* | "$GPT" --help | cat - "$TMP"/help-* | grep -o -- '--[a-z][a-z-]*' | sort -u >"$TMP/flags"
while read -r flag; do
    grep -q -- "$flag" "$TMP/man.txt" || fail "man page lacks $flag"
done <"$TMP/flags"
[ "$(wc -l <"$TMP/flags")" -ge 25 ] || fail "only $(wc -l <"$TMP/flags") flags found in --help"
if command -v groff >/dev/null 2>&1; then
    groff -man -Tutf8 -ww "$ROOT/docs/gpt.1" >/dev/null 2>"$TMP/groff" || fail "groff failed"
    [ ! -s "$TMP/groff" ] || fail "groff warnings: $(cat "$TMP/groff")"
fi
# The completion script parses and completes subcommands.
bash -c ". '$ROOT/scripts/gpt.bash-completion'; COMP_WORDS=(gpt gen); COMP_CWORD=1; _gpt; echo \${COMPREPLY[*]}" >"$TMP/comp"
expect_eq "completion of 'gpt gen'" "$(cat "$TMP/comp")" "generate"

finish
