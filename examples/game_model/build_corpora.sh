#!/usr/bin/env bash
# Build the game model's transcript corpora (training file + .heldout.jsonl twin per game) under ${OUT:-runs/corpora}.
# Seeded: the same command writes the same files.  Sizes are set by the environment variables below; the defaults
# are the recipe's corpora (see docs/game_model.md for the sizes and times measured).
set -euo pipefail
OUT=${OUT:-runs/corpora}
SC2_EPISODES=${SC2_EPISODES:-24}    # levels 1-6 cycled: 4 games per level
SMAC_EPISODES=${SMAC_EPISODES:-14}  # 7 training maps cycled (3s5z is held out as the map not trained on)
ONUW_EPISODES=${ONUW_EPISODES:-40}  # presets 5p, 5p-easy, 5p-hard, 3p cycled
mkdir -p "$OUT"
tactica data transcripts --env TextSC2-v1 --agent cos --episodes "$SC2_EPISODES" --seed 0 --json \
  --out "$OUT/textsc2.jsonl" > "$OUT/textsc2.summary.json"
tactica data transcripts --env SMACProgram-v2 --agent llm-smac --episodes "$SMAC_EPISODES" --seed 0 --json \
  --out "$OUT/smac.jsonl" > "$OUT/smac.summary.json"
tactica data transcripts --env ONUW-v1 --agent onuw-rl --episodes "$ONUW_EPISODES" --seed 0 --json \
  --out "$OUT/onuw-rl.jsonl" > "$OUT/onuw-rl.summary.json"
tactica data transcripts --env ONUW-v1 --agent onuw-llm-tactic --episodes "$ONUW_EPISODES" --seed 0 --json \
  --out "$OUT/onuw-llm-tactic.jsonl" > "$OUT/onuw-llm-tactic.summary.json"
