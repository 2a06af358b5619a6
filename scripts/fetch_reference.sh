#!/usr/bin/env bash
# The upstream ai-dynamo/dynamo files the recipe-parity and CRD tests compare against, at the pinned commits: a sparse
# checkout of a treeless clone (commits only, then the few trees and files needed), checked against pinned SHA-256s.
#   scripts/fetch_reference.sh [DIR]     default: ../shared/reference beside the repository (where the tests look);
#                                        elsewhere, export DSR1_REFERENCE_DIR=DIR before running the tests.
# Pins (shared/reference/NOTES.md): the DeepSeek-R1 recipes from Dynamo main at 2a6da14c (2026-08-21); the
# DynamoGraphDeployment CRD at 495b0283 (2026-07-13), as shipped with platform 1.3.0/1.3.1.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DEST="${1:-$ROOT/../shared/reference}"
# DSR1_REFERENCE_REPO / DSR1_RECIPES_COMMIT / DSR1_CRD_COMMIT override the source (for the script's own test).
REPO="${DSR1_REFERENCE_REPO:-https://github.com/ai-dynamo/dynamo.git}"
RECIPES_COMMIT="${DSR1_RECIPES_COMMIT:-2a6da14c}"
CRD_COMMIT="${DSR1_CRD_COMMIT:-495b0283}"
RECIPES="recipes/deepseek-r1"
CRD="deploy/operator/config/crd/bases/nvidia.com_dynamographdeployments.yaml"

src="$(mktemp -d)"
trap 'rm -rf "$src"' EXIT
echo "fetching $REPO (treeless, sparse) into $DEST/dynamo"
git clone --quiet --filter=tree:0 --no-checkout "$REPO" "$src"
git -C "$src" sparse-checkout set --no-cone "/$RECIPES/" "/$CRD"

take() {  # take COMMIT PATH: PATH as it is at COMMIT, copied under $DEST/dynamo
    git -C "$src" checkout --quiet "$1"
    mkdir -p "$DEST/dynamo/$(dirname "$2")"
    rm -rf "${DEST:?}/dynamo/$2"
    cp -R "$src/$2" "$DEST/dynamo/$2"
}
take "$RECIPES_COMMIT" "$RECIPES"
take "$CRD_COMMIT" "$CRD"

# The files the tests read, as they were when the deviations were reviewed: a moved pin fails here, not in a test.
(cd "$DEST/dynamo" && sha256sum --check --quiet) <<'SUMS'
4026cf222104cf4a5ac9825ac92a152de08f9523d02972d2f4607050983be577  recipes/deepseek-r1/sglang/disagg-8gpu/deploy.yaml
01806780d59d3f30e4005a4b638f46a6f18f087c8aa76e7d92413a64c9fd389c  recipes/deepseek-r1/sglang/disagg-16gpu/deploy.yaml
3191107dd2a1631c38f51141df58c2caef816907691bb08fa77c5f839ef6a838  recipes/deepseek-r1/vllm/disagg/deploy_hopper_16gpu.yaml
7fc5c9bbe665149ff819c6a692b8deee4b5ec6700ed0e91faf9e0b8a2e0afcd3  recipes/deepseek-r1/trtllm/disagg/wide_ep/gb200/deploy.yaml
f19de51c908d76dca9b76721d9a075bb5646066a7a0f6c70c0ac6ee083fddea7  deploy/operator/config/crd/bases/nvidia.com_dynamographdeployments.yaml
SUMS
echo "upstream reference ready: $DEST (export DSR1_REFERENCE_DIR=$DEST if that is not ../shared/reference)"
