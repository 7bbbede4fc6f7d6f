# test_unix.sh — help, version, exit statuses, environment, install, man page.
. "$(dirname "$0")/lib.sh"
subs="generate chat template tokenize detokenize logits perplexity info bench"

# Help and version: stdout, exit 0; usage errors: stderr, exit 2.
expect_status "gpt --help" 0 "$GPT" --help
cp "$TMP/out" "$TMP/help-top"
[ ! -s "$TMP/err" ] || fail "--help wrote to stderr: $(cat "$TMP/err")"
# It names the global flags, every subcommand, the environment, the exit statuses and an example.
for word in -q --quiet -v --verbose --version --help GPT_MODEL GPT_THREADS "exit status" example \
    $subs help "  0 " "  1 " "  2 " "  3 "; do
    grep -q -- "$word" "$TMP/help-top" || fail "gpt --help lacks '$word'"
done
expect_status "gpt -h" 0 "$GPT" -h
expect_file_eq "gpt -h vs gpt --help" "$TMP/out" "$TMP/help-top"
expect_status "gpt help" 0 "$GPT" help
expect_file_eq "gpt help vs gpt --help" "$TMP/out" "$TMP/help-top"
expect_status "gpt --version" 0 "$GPT" --version
[ ! -s "$TMP/err" ] || fail "--version wrote to stderr: $(cat "$TMP/err")"
version=$(sed -n 's/^#define GPT_VERSION "\(.*\)"/\1/p' "$ROOT/include/gpt.h")
expect_eq "--version first line" "$(head -1 "$TMP/out")" "gpt $version"
grep -q "^blas: OpenBLAS .*(core .*)$" "$TMP/out" || fail "--version has no 'blas: OpenBLAS ... (core ...)': $(cat "$TMP/out")"
grep -Eq "^cpu: (AVX-512|AVX2\+FMA\+F16C|none) \(kernels: (avx512-vnni|avx512|avx2|portable)\)$" "$TMP/out" ||
    fail "--version has no 'cpu: LEVEL (kernels: K)': $(cat "$TMP/out")"
# where the kernel reports AVX2, FMA, F16C and AVX-512 BW and VL, the AVX-512 kernels run
if [ -r /proc/cpuinfo ] && grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' |
    grep -cxE 'avx2|fma|f16c|avx512f|avx512bw|avx512vl' | grep -qx 6; then
    grep -Eq "^cpu: .* \(kernels: avx512(-vnni)?\)$" "$TMP/out" ||
        fail "--version on a CPU with AVX-512 BW and VL names other kernels: $(grep '^cpu:' "$TMP/out")"
fi
grep -q "^compiler: ." "$TMP/out" && grep -q "^build: " "$TMP/out" ||
    fail "--version lacks the compiler or build line: $(cat "$TMP/out")"
expect_status "no subcommand" 2 "$GPT"
expect_eq "no subcommand: stderr" "$(cat "$TMP/err")" "$(printf "gpt: a subcommand is needed\nTry 'gpt --help'.")"
[ ! -s "$TMP/out" ] || fail "usage error wrote to stdout"
expect_status "unknown subcommand" 2 "$GPT" frobnicate
expect_status "help for no such subcommand" 2 "$GPT" help frobnicate
expect_eq "gpt help frobnicate: stderr" "$(cat "$TMP/err")" "$(printf "gpt: no subcommand 'frobnicate'\nTry 'gpt --help'.")"
[ ! -s "$TMP/out" ] || fail "gpt help frobnicate wrote to stdout"
expect_status "help with two subcommands" 2 "$GPT" help generate info
expect_status "unknown global flag" 2 "$GPT" --frobnicate

for s in $subs; do
    expect_status "gpt $s --help" 0 "$GPT" "$s" --help
    cp "$TMP/out" "$TMP/help-$s"
    [ ! -s "$TMP/err" ] || fail "gpt $s --help wrote to stderr: $(cat "$TMP/err")"
    expect_status "gpt $s -h" 0 "$GPT" "$s" -h
    expect_file_eq "gpt $s -h vs gpt $s --help" "$TMP/out" "$TMP/help-$s"
    grep -q -- "-h, --help" "$TMP/help-$s" || fail "gpt $s --help does not list -h, --help"
    grep -q "^usage: gpt $s" "$TMP/help-$s" || fail "gpt $s --help has no usage line"
    grep -qi "example" "$TMP/help-$s" || fail "gpt $s --help has no example"
    "$GPT" help "$s" >"$TMP/help2-$s"
    expect_file_eq "gpt help $s vs gpt $s --help" "$TMP/help2-$s" "$TMP/help-$s"
    expect_status "gpt $s with a bad flag" 2 "$GPT" "$s" --no-such-flag
    # One line, then where to look (as GNU tools say it).
    expect_eq "gpt $s bad flag: stderr" "$(cat "$TMP/err")" \
        "$(printf "gpt: unknown option '--no-such-flag'\nTry 'gpt $s --help'.")"
    [ ! -s "$TMP/out" ] || fail "gpt $s bad flag wrote to stdout: $(cat "$TMP/out")"
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
        generate) set -- -p hi ;; perplexity) set -- -f "$TMP/text.txt" ;;
        template) echo '[{"role":"user","content":"hi"}]' >"$TMP/chat.json"; set -- --messages "$TMP/chat.json" ;;
        *) set -- ;;
    esac
    expect_status "gpt $s with a missing model" 1 sh -c "echo hi | '$GPT' $s -m '$TMP/none' $*"
    grep -q "^gpt: .*$TMP/none" "$TMP/err" || fail "gpt $s missing model: $(cat "$TMP/err")"
    expect_eq "gpt $s missing model: lines on stderr" "$(wc -l <"$TMP/err" | tr -d ' ')" 1
done

# A missing model directory says so, and where its name came from; with
# neither -m nor GPT_MODEL, every place searched for the bundled model.
expect_status "info -m missing" 1 "$GPT" info -m "$TMP/none"
expect_eq "info -m missing: stderr" "$(cat "$TMP/err")" "gpt: model directory $TMP/none (from -m) does not exist"
expect_status "GPT_MODEL missing" 1 env GPT_MODEL="$TMP/none" "$GPT" generate -p hi
expect_eq "GPT_MODEL missing: stderr" "$(cat "$TMP/err")" \
    "gpt: model directory $TMP/none (from \$GPT_MODEL) does not exist"
expect_status "-m names a file" 1 "$GPT" tokenize -m "$ROOT/README.md"
expect_eq "-m names a file: stderr" "$(cat "$TMP/err")" "gpt: model directory $ROOT/README.md (from -m) is not a directory"
mkdir -p "$TMP/lone"
cp "$GPT" "$TMP/lone/gpt"
if [ -d /usr/local/share/gpt/models/gpt2-books-30m ]; then
    skip "the no-model message" "an installed bundled model in /usr/local/share/gpt would be found"
else
    set +e
    (cd "$TMP" && "$TMP/lone/gpt" info) >/dev/null 2>"$TMP/err"
    rc=$?
    set -e
    expect_eq "no model anywhere: exit status" "$rc" 1
    expect_eq "no model anywhere: stderr" "$(cat "$TMP/err")" \
        "gpt: no model found: looked for the bundled gpt2-books-30m in $TMP/lone/models/gpt2-books-30m, $TMP/lone/../share/gpt/models/gpt2-books-30m, /usr/local/share/gpt/models/gpt2-books-30m, models/gpt2-books-30m (give -m DIR or set GPT_MODEL)"
fi

# Environment: GPT_MODEL and GPT_THREADS are defaults that flags override.
expect_status "GPT_MODEL pointing nowhere" 1 env GPT_MODEL="$TMP/none" "$GPT" info
expect_status "-m wins over GPT_MODEL" 0 env GPT_MODEL="$TMP/none" "$GPT" info -m "$MODEL"
expect_status "GPT_MODEL used" 0 env GPT_MODEL="$TINY" "$GPT" info
grep -q "^layers: *2$" "$TMP/out" || fail "GPT_MODEL=dev-tiny not used: $(cat "$TMP/out")"
GPT_THREADS=1 "$GPT" -v info >/dev/null 2>"$TMP/err"
grep -q "threads: 1;" "$TMP/err" || fail "GPT_THREADS=1 not used: $(cat "$TMP/err")"
GPT_THREADS=1 "$GPT" -v bench -p 4 -n 2 -r 1 -t 2 >/dev/null 2>"$TMP/err"
grep -q "threads: 2;" "$TMP/err" || fail "-t 2 does not win over GPT_THREADS=1: $(cat "$TMP/err")"
GPT_THREADS=1 "$GPT" -v generate -p hi -n 2 -t 3 >/dev/null 2>"$TMP/err"
grep -q "threads: 3;" "$TMP/err" || fail "generate -t 3 does not win over GPT_THREADS=1: $(cat "$TMP/err")"
# A bad GPT_THREADS: one warning, then the default (as if it were unset).
"$GPT" -v info >/dev/null 2>"$TMP/err-unset"
default_threads=$(sed -n 's/.*threads: \([0-9]*\);.*/\1/p' "$TMP/err-unset")
[ -n "$default_threads" ] || fail "gpt -v info names no thread count: $(cat "$TMP/err-unset")"
GPT_THREADS=abc "$GPT" -v info >/dev/null 2>"$TMP/err" || fail "GPT_THREADS=abc broke gpt info: $(cat "$TMP/err")"
expect_eq "threads with GPT_THREADS=abc" "$(sed -n 's/.*threads: \([0-9]*\);.*/\1/p' "$TMP/err")" "$default_threads"
expect_eq "warnings about GPT_THREADS=abc" "$(grep -c "^gpt: GPT_THREADS='abc'" "$TMP/err")" 1
GPT_THREADS=abc "$GPT" -v generate -p hi -n 1 -t 2 >/dev/null 2>"$TMP/err"
grep -q "threads: 2;" "$TMP/err" || fail "-t 2 with GPT_THREADS=abc: $(cat "$TMP/err")"
# -v adds the load time and the kernels; without it, neither shows.
"$GPT" -v info >/dev/null 2>"$TMP/err"
grep -q "^gpt: loaded .* in [0-9.]* s$" "$TMP/err" && grep -q "^gpt: threads: [0-9]*; kernels: " "$TMP/err" ||
    fail "gpt -v info: $(cat "$TMP/err")"
"$GPT" info >/dev/null 2>"$TMP/err"
[ ! -s "$TMP/err" ] || fail "gpt info without -v wrote to stderr: $(cat "$TMP/err")"
"$GPT" -q -v info >/dev/null 2>"$TMP/err"
[ ! -s "$TMP/err" ] || fail "gpt -q -v info still printed: $(cat "$TMP/err")"
# -q silences progress; errors still show.
"$GPT" -q generate -f "$TMP/text.txt" -n 600 --ignore-eos >/dev/null 2>"$TMP/err"
[ ! -s "$TMP/err" ] || fail "-q still printed: $(cat "$TMP/err")"

# Install into a temporary DESTDIR, run from /, uninstall. The default
# PREFIX, the one the tree was built with: another would rebuild every
# object (the Makefile's flags file).
make -s -C "$ROOT" install DESTDIR="$TMP/root" >"$TMP/install.log" 2>&1 || fail "make install: $(cat "$TMP/install.log")"
for f in usr/local/bin/gpt usr/local/share/man/man1/gpt.1 usr/local/share/bash-completion/completions/gpt \
    usr/local/share/gpt/models/gpt2-books-30m/model.safetensors; do
    [ -f "$TMP/root/$f" ] || fail "make install did not install $f"
done
for f in "$ROOT"/models/gpt2-books-30m/*; do
    cmp -s "$f" "$TMP/root/usr/local/share/gpt/models/gpt2-books-30m/${f##*/}" || fail "installed model file ${f##*/} differs"
done
[ -x "$TMP/root/usr/local/bin/gpt" ] || fail "installed gpt is not executable"
got=$(cd / && env -u GPT_MODEL "$TMP/root/usr/local/bin/gpt" -v generate -p "Once upon a time" -n 4 --temperature 0 2>"$TMP/err")
expect_eq "installed gpt from /" "$got" "$(printf ', and\nthe')"
grep -q "^gpt: loaded $TMP/root/usr/local/bin/../share/gpt/models/gpt2-books-30m in" "$TMP/err" ||
    fail "installed gpt did not load <exe>/../share/gpt/models/gpt2-books-30m: $(cat "$TMP/err")"
got=$(cd / && "$TMP/root/usr/local/bin/gpt" help generate)
expect_eq "installed gpt help generate" "$got" "$(cat "$TMP/help-generate")"
make -s -C "$ROOT" uninstall DESTDIR="$TMP/root" >"$TMP/install.log" 2>&1 || fail "make uninstall: $(cat "$TMP/install.log")"
[ -z "$(find "$TMP/root" -type f)" ] || fail "make uninstall left: $(find "$TMP/root" -type f)"
[ ! -e "$TMP/root/usr/local/share/gpt" ] || fail "make uninstall left $TMP/root/usr/local/share/gpt"

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
else
    skip "the man page through groff -ww" "groff is not installed (Debian: groff)"
fi
# The man page has the usual sections and one per subcommand, and renders without warnings.
for section in NAME SYNOPSIS DESCRIPTION "EXIT STATUS" ENVIRONMENT FILES EXAMPLES; do
    grep -q "^\.SH \"*$section\"*$" "$ROOT/docs/gpt.1" || fail "man page lacks .SH $section"
done
for s in $subs; do
    grep -q "^\.SS \"gpt $s\"$" "$ROOT/docs/gpt.1" || fail "man page lacks .SS \"gpt $s\""
done
if command -v man >/dev/null 2>&1; then
    MANWIDTH=80 man --warnings -l "$ROOT/docs/gpt.1" >/dev/null 2>"$TMP/man-warn" || fail "man -l docs/gpt.1 failed"
    [ ! -s "$TMP/man-warn" ] || fail "man -l warnings: $(cat "$TMP/man-warn")"
else
    skip "man -l docs/gpt.1" "man is not installed (Debian: man-db)"
fi

# The completion script: subcommands, their flags, directories after -m, values after --format.
complete_words() { # WORD... (the last is being completed)
    bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _gpt; printf "%s\n" "${COMPREPLY[@]}"' \
        sh "$ROOT/scripts/gpt.bash-completion" "$@" | sort | tr '\n' ' ' | sed 's/ $//'
}
if command -v bash >/dev/null 2>&1; then
    expect_eq "completion of 'gpt gen'" "$(complete_words gpt gen)" "generate"
    expect_eq "completion of 'gpt -v perp'" "$(complete_words gpt -v perp)" "perplexity"
    expect_eq "completion of 'gpt generate --for'" "$(complete_words gpt generate --for)" "--format"
    expect_eq "completion of 'gpt generate --format '" "$(complete_words gpt generate --format '')" "jsonl text"
    expect_eq "completion of 'gpt tokenize --format '" "$(complete_words gpt tokenize --format '')" "ids jsonl"
    expect_eq "completion of 'gpt info --format '" "$(complete_words gpt info --format '')" "json text"
    expect_eq "completion of 'gpt help in'" "$(complete_words gpt help in)" "info"
    mkdir -p "$TMP/comp/modeldir"
    : >"$TMP/comp/modelfile"
    expect_eq "completion after -m" "$(complete_words gpt info -m "$TMP/comp/model")" "$TMP/comp/modeldir"
    expect_eq "completion after -f" "$(complete_words gpt perplexity -f "$TMP/comp/modelf")" "$TMP/comp/modelfile"
    # Every long flag of every subcommand's --help completes.
    for s in $subs; do
        for flag in $(grep -o -- '--[a-z][a-z-]*' "$TMP/help-$s" | sort -u); do
            case " $(complete_words gpt "$s" --) " in
                *" $flag "*) ;;
                *) fail "completion of 'gpt $s --' lacks $flag" ;;
            esac
        done
    done
else
    skip "the bash completion script" "bash is not installed"
fi

finish
