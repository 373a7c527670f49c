#!/usr/bin/env bash
# Build the game model's transcript corpora (training file + .heldout.jsonl twin per game) under ${OUT:-runs/corpora}.
# Seeded: the same command writes the same files.  Sizes are set by the environment variables below; the defaults
# are the recipe's corpora (see docs/game_model.md for the sizes and times measured).  GAMES picks a subset:
# GAMES="onuw" builds only the ONUW corpora, GAMES="textsc2 smac onuw" (the default) the expert corpora; "dagger6"
# the recipe's first DAgger round (it needs a trained TextSC2 model, POLICY6), "dagger7" and "dagger8" the next
# rounds (POLICY7 and POLICY8, the recipe's joint model and its first fine-tune), "dagger9" to "dagger13" the
# rounds of the later fine-tunes (POLICY9 ... POLICY13), "dagger" the earlier rounds 1-5 (POLICY1 ... POLICY5).
set -euo pipefail
OUT=${OUT:-runs/corpora}
GAMES=${GAMES:-textsc2 smac onuw}
SMAC_EPISODES=${SMAC_EPISODES:-70}  # 7 training maps cycled, 10 each (3s5z is held out as the map not trained on)
SMAC_CODER=${SMAC_CODER:-best}  # the SMACProgram expert's coder rule: best (the shipped model's corpora) or plan
SMAC_FAMILY_VARIANTS=${SMAC_FAMILY_VARIANTS:-null}  # programs written per family: null (all 8) or its K best
ONUW_EPISODES=${ONUW_EPISODES:-40}  # presets 5p, 5p-easy, 5p-hard, 3p cycled
PAPER_EPISODES=${PAPER_EPISODES:-60}  # the paper's deals 3p, 5p-easy, 5p-hard cycled, Player 3 vs Belief agents
mkdir -p "$OUT"
transcripts() { tactica data transcripts --seed 0 --json --no-progress "$@"; }
if [[ " $GAMES " == *" textsc2 "* ]]; then
  # the expert's compact answers, then the same with the agent's actions dropped at random (levels 1-6 / 1-4)
  transcripts --env TextSC2-v1 --agent cos --episodes 60 --out "$OUT/textsc2-compact.jsonl" --opt answer=compact \
    --heldout-fraction 0.1 > "$OUT/textsc2-compact.summary.json"
  transcripts --env TextSC2-v1 --agent cos --episodes 48 --out "$OUT/textsc2-explore.jsonl" --opt answer=compact \
    --opt 'difficulty=[1,2,3,4]' --opt 'explore=[0.15,0.3,0.5]' --heldout-fraction 0.1 --seed 1 \
    > "$OUT/textsc2-explore.summary.json"
fi
# DAgger rounds: trained TextSC2 models play, the expert labels every call.  POLICY1 is the round-1 model,
# POLICY2A and POLICY2B the round-2 models, POLICY3 the first joint model, POLICY4 the joint retrain on round 3,
# POLICY5 the wider retrain on rounds 3-4, POLICY6 the TextSC2-only model trained with pool batches on the
# compact and explore corpora (docs/game_model.md says how each was trained).  Only round 6 is in the shipped
# recipe: its policy is rebuilt from the expert corpora by one documented command.
dagger() {  # dagger NAME SEED POLICY BETA [EPISODES [LEVELS [TEMPERATURES [BUILDS [EXPERT]]]]]
  local builds=()
  if [[ -n "${8:-}" ]]; then builds=(--opt "build=$8"); fi
  if [[ -n "${9:-}" ]]; then builds+=(--opt "expert=$9"); fi
  transcripts --env TextSC2-v1 --agent cos --episodes "${5:-32}" --out "$OUT/textsc2-$1.jsonl" --opt answer=compact \
    --opt "policy=plm:$3" --opt "beta=$4" --opt "temperature=${7:-[0.0,0.0,0.0,0.0,1.0,1.0,1.0,1.0]}" \
    --opt "difficulty=${6:-[1,2,3,4]}" ${builds[@]+"${builds[@]}"} --heldout-fraction 0.1 --seed "$2" \
    > "$OUT/textsc2-$1.summary.json"
}
if [[ " $GAMES " == *" dagger "* ]]; then
  dagger dagger1-s11 11 "$POLICY1" 0.3
  dagger dagger1-s12 12 "$POLICY1" 0.3
  dagger dagger2-s21 21 "$POLICY2A" 0.1
  dagger dagger2-s22 22 "$POLICY2B" 0.1
  dagger dagger3-s31 31 "$POLICY3" 0.1
  dagger dagger3-s32 32 "$POLICY3" 0.1
  # rounds 4 and 5: more games, levels 2-4 twice as often as level 1, which their policies already win
  dagger dagger4-s41 41 "$POLICY4" 0.1 56 '[1,2,3,4,2,3,4]'
  dagger dagger4-s42 42 "$POLICY4" 0.1 56 '[1,2,3,4,2,3,4]'
  dagger dagger5-s51 51 "$POLICY5" 0.1 56 '[1,2,3,4,2,3,4]'
  dagger dagger5-s52 52 "$POLICY5" 0.1 56 '[1,2,3,4,2,3,4]'
fi
# rounds 6-9, each 2 x 32 games with seeds R1 and R2: round 7 is played by the joint model (POLICY7,
# rebuild_games.sh's runs/plm-games-joint), round 8 by its fine-tune on round 7 (POLICY8, runs/plm-games-ft7)
# alone (beta 0), sampling at temperature 0.7 or 1.0, at levels 2-4.  Rounds 9-13 are in no shipped model
# (docs/game_model.md measures their fine-tunes): round 9 likewise by the shipped model (POLICY9, runs/plm-games);
# round 10 by the shipped model with top_p 0.9 (POLICY10) at temperature 1.0, levels 3, 2, 3, 4 cycled; round 11
# by the fine-tune on rounds 8-10 (POLICY11, top_p 0.9), aimed at the games that model loses: the built-in AI's
# macro and air builds (macro, air, macro cycled) at levels 3, 3, 2, 4; rounds 12 and 13 likewise by the
# fine-tunes on rounds 8-11 and 8-12 (POLICY12, POLICY13), labelled by the expert with late_game (it expands past
# three bases; round 12 was labelled before late_game added the new bases' Assimilators, so a rerun of it differs
# in the calls after a fourth Nexus)
for round in 6 7 8 9 10 11 12 13; do
  if [[ " $GAMES " == *" dagger$round "* ]]; then
    policy=POLICY$round
    for half in 1 2; do
      if (( round >= 12 )); then
        dagger "dagger$round-s$round$half" "$round$half" "${!policy}" 0.0 32 '[3,3,2,4]' '[1.0]' '["macro","air","macro"]' \
          '{"late_game": true}'
      elif (( round == 11 )); then
        dagger "dagger$round-s$round$half" "$round$half" "${!policy}" 0.0 32 '[3,3,2,4]' '[1.0]' '["macro","air","macro"]'
      elif (( round == 10 )); then
        dagger "dagger$round-s$round$half" "$round$half" "${!policy}" 0.0 32 '[3,2,3,4]' '[1.0]'
      elif (( round >= 8 )); then
        dagger "dagger$round-s$round$half" "$round$half" "${!policy}" 0.0 32 '[2,3,4]' '[0.7,1.0]'
      else
        dagger "dagger$round-s$round$half" "$round$half" "${!policy}" 0.1 32 '[1,2,3,4,2,3,4]'
      fi
    done
  fi
done
if [[ " $GAMES " == *" smac "* ]]; then
  transcripts --env SMACProgram-v3 --agent llm-smac --episodes "$SMAC_EPISODES" --opt "coder=$SMAC_CODER" \
    --opt "family_variants=$SMAC_FAMILY_VARIANTS" --out "$OUT/smac.jsonl" \
    > "$OUT/smac.summary.json"
  # 24 more episodes on 8m, whose 10 episodes above leave 9 coder answers after deduplication
  transcripts --env SMACProgram-v3 --agent llm-smac --episodes 24 --opt map_name=8m --opt "coder=$SMAC_CODER" \
    --opt "family_variants=$SMAC_FAMILY_VARIANTS" \
    --out "$OUT/smac-8m.jsonl" \
    --heldout-fraction 0.1 --seed 7 > "$OUT/smac-8m.summary.json"
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
