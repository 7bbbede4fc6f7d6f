#!/bin/sh
# tests/fuzz/run.sh — runs each libFuzzer target for SECONDS, one after
# another (one process: the machine is shared), over its committed seeds.
#   sh tests/fuzz/run.sh BUILD_DIR SECONDS TARGET...
# New inputs go to BUILD_DIR/corpus/TARGET (the committed seeds in
# tests/fuzz/corpus/TARGET are only read); a crash, leak, timeout or failed
# check is saved in tests/fuzz/findings/ and fails the run. Each target's
# full log is BUILD_DIR/logs/TARGET.log; its final statistics are printed.
set -u
build=$1 seconds=$2
shift 2
root=$(pwd)
mkdir -p "$root/tests/fuzz/findings" "$build/logs"
failed=""
for t in "$@"; do
    # The largest input worth trying: a header with a few tensors, a config,
    # a small vocabulary and merges, a few paragraphs, one long request line.
    case $t in
    fuzz_safetensors) max_len=4096 ;;
    fuzz_config) max_len=2048 ;;
    fuzz_tokenizer_load) max_len=8192 ;;
    fuzz_tokenize) max_len=4096 ;;
    fuzz_batch_line) max_len=2048 ;;
    fuzz_template) max_len=4096 ;;
    *) max_len=4096 ;;
    esac
    mkdir -p "$build/corpus/$t"
    log="$build/logs/$t.log"
    echo "== $t: $seconds s, -max_len=$max_len"
    "$build/$t" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -max_len="$max_len" \
        -print_final_stats=1 -artifact_prefix="$root/tests/fuzz/findings/$t-" \
        "$build/corpus/$t" "$root/tests/fuzz/corpus/$t" >"$log" 2>&1
    rc=$?
    # The last status line (runs, coverage, corpus) and the final statistics.
    grep -E '^#[0-9]+' "$log" | tail -1
    grep -E '^(stat::|Done )' "$log"
    if [ $rc -ne 0 ]; then
        failed="$failed $t"
        echo "FAIL $t (exit status $rc): a finding in tests/fuzz/findings/; the log's end:"
        tail -40 "$log" | sed 's/^/     | /'
    fi
done
if [ -n "$failed" ]; then
    echo "fuzz: findings in:$failed"
    exit 1
fi
echo "fuzz: no findings"
