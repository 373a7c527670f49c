#!/usr/bin/env bash
# Rebuild the joint game model (the shipped plm:games) from nothing, in the order its corpora need:
#   1. the expert corpora of the three games (build_corpora.sh);
#   2. a TextSC2-only model trained on the expert's TextSC2 corpora (the DAgger policy);
#   3. DAgger round 6: that model plays TextSC2 through the cos agent and the expert labels every call;
#   4. the joint model on every corpus, the SMACProgram and ONUW files weighted by repetition;
#   5. DAgger round 7, played by the joint model, and a fine-tune of the joint model on it;
#   6. DAgger round 8, played by that fine-tune sampling alone, and a fine-tune of it on round 8: plm:games,
#      with the generation_config.json that makes it sample (temperature 1.0, top_p 0.9) when an agent leaves the
#      temperature to the model (cos does).
# Seeded throughout: the same machine writes the same corpora; training is deterministic for a thread count.
# RUNS sets the folder (default runs); STAGES picks stages ("corpora policy dagger joint dagger7 ft7 dagger8
# ft8", the default).
# docs/game_model.md records the sizes, times and results measured for each stage.
set -euo pipefail
RUNS=${RUNS:-runs}
C=$RUNS/corpora
STAGES=${STAGES:-corpora policy dagger joint dagger7 ft7 dagger8 ft8}
here=$(dirname "$0")
has() { [[ " $STAGES " == *" $1 "* ]]; }
rep() { for _ in $(seq "$2"); do printf "%s," "$1"; done; }
# the model's shape and tokenizer: 3 layers, hidden 128, MLP 512, a line-split BPE of 8,192 tokens
train() {
  tactica train plm --preset tiny --model-opt hidden_size=128 --model-opt intermediate_size=512 \
    --model-opt num_hidden_layers=3 --vocab-size 8192 --tokenizer-split lines --group-by-length \
    --seq-len 1024 --batch-size 16 --lr 0.004 --no-quant-eval --seed 0 "$@"
}
if has corpora; then
  OUT=$C "$here/build_corpora.sh"
fi
if has policy; then
  train --out "$RUNS/sc2-pool" --data "$C/textsc2-compact.jsonl,$C/textsc2-explore.jsonl" \
    --heldout-data "$C/textsc2-compact.heldout.jsonl" --steps 3000 --eval-every 500 --save-every 500 --threads 1
fi
if has dagger; then
  OUT=$C GAMES=dagger6 POLICY6=$RUNS/sc2-pool/checkpoint "$here/build_corpora.sh"
fi
O=$C/onuw-paper-llm-tactic.jsonl,$C/onuw-paper-react.jsonl,$C/onuw-llm-tactic.jsonl,$C/onuw-rl.jsonl
T=$C/textsc2-compact.jsonl,$C/textsc2-explore.jsonl,$C/textsc2-dagger6-s61.jsonl,$C/textsc2-dagger6-s62.jsonl
H=${O//.jsonl/.heldout.jsonl},$C/smac.heldout.jsonl,$C/smac-8m.heldout.jsonl
H=$H,$C/textsc2-compact.heldout.jsonl,$C/textsc2-dagger6-s62.heldout.jsonl
S=$(rep "$C/smac.jsonl" 50)$(rep "$C/smac-8m.jsonl" 30)
if has joint; then
  train --out "$RUNS/plm-games-joint" --data "$O,$O,$O,$T,${S%,}" --heldout-data "$H" --steps 8000 \
    --eval-every 1000 --save-every 500 --threads 2
fi
# the fine-tunes: the same corpora with each DAgger round's files added to T, half the learning rate
T7=$T,$C/textsc2-dagger7-s71.jsonl,$C/textsc2-dagger7-s72.jsonl
T8=$T7,$C/textsc2-dagger8-s81.jsonl,$C/textsc2-dagger8-s82.jsonl
if has dagger7; then
  OUT=$C GAMES=dagger7 POLICY7=$RUNS/plm-games-joint/checkpoint "$here/build_corpora.sh"
fi
if has ft7; then
  train --init-from "$RUNS/plm-games-joint/checkpoint" --out "$RUNS/plm-games-ft7" --data "$O,$O,$O,$T7,${S%,}" \
    --heldout-data "$H" --steps 4000 --lr 0.002 --eval-every 1000 --save-every 500 --threads 2
fi
if has dagger8; then
  OUT=$C GAMES=dagger8 POLICY8=$RUNS/plm-games-ft7/checkpoint "$here/build_corpora.sh"
fi
if has ft8; then
  train --init-from "$RUNS/plm-games-ft7/checkpoint" --out "$RUNS/plm-games" --data "$O,$O,$O,$T8,${S%,}" \
    --heldout-data "$H" --steps 4000 --lr 0.002 --eval-every 1000 --save-every 500 --threads 2
  printf '{\n  "do_sample": true,\n  "temperature": 1.0,\n  "top_p": 0.9\n}\n' > "$RUNS/plm-games/checkpoint/generation_config.json"
fi
