#!/usr/bin/env bash
# Build the game model's transcript corpora (training file + .heldout.jsonl twin per game) under ${OUT:-runs/corpora}.
# Seeded: the same command writes the same files.  Sizes are set by the environment variables below; the defaults
# are the recipe's corpora (see docs/game_model.md for the sizes and times measured).  GAMES picks a subset:
# GAMES="onuw" builds only the ONUW corpora, GAMES="textsc2 smac onuw" (the default) all of them.
set -euo pipefail
OUT=${OUT:-runs/corpora}
GAMES=${GAMES:-textsc2 smac onuw}
SC2_EPISODES=${SC2_EPISODES:-24}    # levels 1-6 cycled: 4 games per level
SMAC_EPISODES=${SMAC_EPISODES:-70}  # 7 training maps cycled, 10 each (3s5z is held out as the map not trained on)
ONUW_EPISODES=${ONUW_EPISODES:-40}  # presets 5p, 5p-easy, 5p-hard, 3p cycled
PAPER_EPISODES=${PAPER_EPISODES:-60}  # the paper's deals 3p, 5p-easy, 5p-hard cycled, Player 3 vs Belief agents
mkdir -p "$OUT"
transcripts() { tactica data transcripts --seed 0 --json --no-progress "$@"; }
if [[ " $GAMES " == *" textsc2 "* ]]; then
  transcripts --env TextSC2-v1 --agent cos --episodes "$SC2_EPISODES" --out "$OUT/textsc2.jsonl" \
    > "$OUT/textsc2.summary.json"
fi
if [[ " $GAMES " == *" smac "* ]]; then
  transcripts --env SMACProgram-v3 --agent llm-smac --episodes "$SMAC_EPISODES" --out "$OUT/smac.jsonl" \
    > "$OUT/smac.summary.json"
fi
if [[ " $GAMES " == *" onuw "* ]]; then
  transcripts --env ONUW-v1 --agent onuw-rl --episodes "$ONUW_EPISODES" --out "$OUT/onuw-rl.jsonl" \
    > "$OUT/onuw-rl.summary.json"
  transcripts --env ONUW-v1 --agent onuw-llm-tactic --episodes "$ONUW_EPISODES" \
    --out "$OUT/onuw-llm-tactic.jsonl" > "$OUT/onuw-llm-tactic.summary.json"
  for agent in llm-tactic react; do
    transcripts --env ONUW-v1 --agent "onuw-$agent" --episodes "$PAPER_EPISODES" --opt others=belief \
      --opt 'preset=["3p","5p-easy","5p-hard"]' --out "$OUT/onuw-paper-$agent.jsonl" \
      > "$OUT/onuw-paper-$agent.summary.json"
  done
fi
