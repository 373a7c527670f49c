#!/usr/bin/env bash
# Rebuild the joint game model (the shipped plm:games) from nothing, in the order its corpora need:
#   1. the expert corpora of the three games (build_corpora.sh);
#   2. a TextSC2-only model trained on the expert's TextSC2 corpora (the DAgger policy);
#   3. DAgger round 6: that model plays TextSC2 through the cos agent and the expert labels every call;
#   4. the joint model on every corpus, the SMACProgram and ONUW files weighted by repetition.
# Seeded throughout: the same machine writes the same corpora; training is deterministic for a thread count.
# RUNS sets the folder (default runs); STAGES picks stages ("corpora policy dagger joint", the default).
# docs/game_model.md records the sizes, times and results measured for each stage.
set -euo pipefail
RUNS=${RUNS:-runs}
C=$RUNS/corpora
STAGES=${STAGES:-corpora policy dagger joint}
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
if has joint; then
  O=$C/onuw-paper-llm-tactic.jsonl,$C/onuw-paper-react.jsonl,$C/onuw-llm-tactic.jsonl,$C/onuw-rl.jsonl
  T=$C/textsc2-compact.jsonl,$C/textsc2-explore.jsonl,$C/textsc2-dagger6-s61.jsonl,$C/textsc2-dagger6-s62.jsonl
  H=${O//.jsonl/.heldout.jsonl},$C/smac.heldout.jsonl,$C/smac-8m.heldout.jsonl
  H=$H,$C/textsc2-compact.heldout.jsonl,$C/textsc2-dagger6-s62.heldout.jsonl
  D=$O,$O,$O,$T,$(rep "$C/smac.jsonl" 50)$(rep "$C/smac-8m.jsonl" 30)
  train --out "$RUNS/plm-games" --data "${D%,}" --heldout-data "$H" --steps 8000 --eval-every 1000 \
    --save-every 500 --threads 2
fi
