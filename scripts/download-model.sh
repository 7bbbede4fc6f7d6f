#!/bin/sh
# download-model.sh NAME DIR — fetch a GPT-2 checkpoint from the HuggingFace hub
# into DIR: config.json, model.safetensors, vocab.json, merges.txt.
# NAME: gpt2, gpt2-medium, gpt2-large, gpt2-xl, distilgpt2 (or any owner/repo).
# gpt itself never downloads anything; run this once, where you have network.
set -eu
name=${1:?usage: download-model.sh NAME DIR}
dir=${2:?usage: download-model.sh NAME DIR}
case $name in
    */*) repo=$name ;;
    distilgpt2) repo=distilbert/distilgpt2 ;;
    *) repo=openai-community/$name ;;
esac
mkdir -p "$dir"
for f in config.json model.safetensors vocab.json merges.txt; do
    echo "fetching $repo/$f" >&2
    curl -fL --retry 3 -o "$dir/$f.part" "https://huggingface.co/$repo/resolve/main/$f"
    mv "$dir/$f.part" "$dir/$f"
done
echo "done: gpt generate -m $dir" >&2
