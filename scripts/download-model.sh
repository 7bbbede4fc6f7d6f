#!/bin/sh
# download-model.sh NAME DIR — fetch a checkpoint from the HuggingFace hub into
# DIR: config.json, generation_config.json (when the repo has one), the
# weights (model.safetensors, or model.safetensors.index.json and its shards)
# and the tokenizer files (GPT-2: vocab.json + merges.txt; others:
# tokenizer.json and tokenizer_config.json).
# NAME: gpt2, gpt2-medium, gpt2-large, gpt2-xl, distilgpt2,
#       SmolLM2-135M, SmolLM2-135M-Instruct, Qwen2.5-0.5B, Qwen2.5-0.5B-Instruct,
#       Qwen3-0.6B, TinyLlama-1.1B-Chat, Llama-3.2-1B (gated: set HF_TOKEN to a
#       token whose account accepted Meta's license), or any owner/repo.
# gpt itself never downloads anything; run this once, where you have network.
set -eu
name=${1:?usage: download-model.sh NAME DIR}
dir=${2:?usage: download-model.sh NAME DIR}
case $name in
    */*) repo=$name ;;
    distilgpt2) repo=distilbert/distilgpt2 ;;
    gpt2*) repo=openai-community/$name ;;
    SmolLM2-135M | SmolLM2-135M-Instruct) repo=HuggingFaceTB/$name ;;
    Qwen2.5-0.5B | Qwen2.5-0.5B-Instruct | Qwen3-0.6B) repo=Qwen/$name ;;
    TinyLlama-1.1B-Chat) repo=TinyLlama/TinyLlama-1.1B-Chat-v1.0 ;;
    Llama-3.2-1B) repo=meta-llama/Llama-3.2-1B ;;
    *) echo "download-model.sh: unknown name '$name' (give owner/repo)" >&2; exit 2 ;;
esac
mkdir -p "$dir"
# fetch FILE [optional]: one file of the repo; an optional one may be absent.
fetch() {
    echo "fetching $repo/$1" >&2
    set -- "$1" "${2:-}" -fL --retry 3 -o "$dir/$1.part" "https://huggingface.co/$repo/resolve/main/$1"
    file=$1 optional=$2
    shift 2
    if [ -n "${HF_TOKEN:-}" ]; then set -- -H "Authorization: Bearer $HF_TOKEN" "$@"; fi
    if curl "$@"; then
        mv "$dir/$file.part" "$dir/$file"
    else
        rm -f "$dir/$file.part"
        [ -n "$optional" ] || { echo "download-model.sh: cannot fetch $repo/$file" >&2; exit 1; }
        return 1
    fi
}
fetch config.json
fetch generation_config.json optional || true
if ! fetch model.safetensors optional; then
    fetch model.safetensors.index.json
    # the shard names: every "....safetensors" value of the weight map, once
    for shard in $(grep -o '"[^"]*\.safetensors"' "$dir/model.safetensors.index.json" | tr -d '"' | sort -u); do
        case $shard in */* | .*) echo "download-model.sh: odd shard name $shard" >&2; exit 1 ;; esac
        fetch "$shard"
    done
fi
# GPT-2's tokenizer as vocab.json + merges.txt; the others' as tokenizer.json
# only (gpt reads vocab.json + merges.txt first, and Qwen's repos carry both,
# with a pre-tokenizer that is not GPT-2's).
case $repo in
    openai-community/* | distilbert/*) fetch vocab.json; fetch merges.txt ;;
    *) fetch tokenizer.json optional || true; fetch tokenizer_config.json optional || true ;;
esac
echo "done: gpt generate -m $dir (or with --ids while its tokenizer is not supported)" >&2
