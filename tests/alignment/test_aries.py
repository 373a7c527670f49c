"""ARIES pieces: batched generation, refinement chains, pair selection, a round end to end, and the plm: backend's
``refine_steps``."""

from __future__ import annotations

import pytest

from tactica.llm.alignment import PreferenceConfig, load_causal_lm, load_pairs
from tactica.llm.alignment.aries import AriesConfig, refine_chain, run_aries, select_pair
from tactica.llm.alignment.generation import Sample, generate
from tactica.llm.alignment.refine import REFINE_TEMPLATE, refinement_messages

QUESTIONS = [
    [{"role": "user", "content": "What is 2 plus 3?"}],
    [{"role": "user", "content": "Count from one."}],
    [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "What beats rock?"}],
]


@pytest.mark.parametrize("model", ["plm", "llama"])
def test_left_padded_batches_generate_what_single_prompts_do_with_and_without_cache(request, model):
    lm = load_causal_lm(request.getfixturevalue(f"{model}_dir"))
    prompts = [
        lm.tokenizer.encode_text(t) for t in ("What is 2 plus 3?", "Count", "Alice plays rock and Bob")
    ]
    batched = generate(lm, prompts, max_new_tokens=6, temperature=0.0)
    for prompt, sample in zip(prompts, batched):
        (alone,) = generate(lm, [prompt], max_new_tokens=6, temperature=0.0)
        assert sample.ids == alone.ids
    # the cached path (PLM: our batched cache; transformers: its own) gives what re-running the sequence gives
    uncached = generate(lm, prompts, max_new_tokens=6, temperature=0.0, use_cache=False)
    assert [s.ids for s in uncached] == [s.ids for s in batched]
    sampled = generate(lm, prompts, max_new_tokens=6, temperature=1.0, seed=4)
    again = generate(lm, prompts, max_new_tokens=6, temperature=1.0, seed=4)
    assert [s.ids for s in sampled] == [s.ids for s in again]


def test_refinement_messages_put_the_previous_answer_in_the_user_turn():
    messages = refinement_messages(QUESTIONS[2], "Paper.")
    assert messages[0] == QUESTIONS[2][0]
    assert messages[1]["role"] == "user"
    assert messages[1]["content"] == REFINE_TEMPLATE.format(question="What beats rock?", previous="Paper.")
    with pytest.raises(ValueError, match="ends with the user's question"):
        refinement_messages([{"role": "assistant", "content": "x"}], "y")


def test_refine_chain_feeds_each_answer_back(plm_dir):
    lm = load_causal_lm(plm_dir)
    chains = refine_chain(lm, QUESTIONS, 2, max_new_tokens=5)
    assert [len(c) for c in chains] == [3, 3, 3]
    for question, chain in zip(QUESTIONS, chains):
        request = refinement_messages(question, lm.tokenizer.decode(chain[0].ids))
        (step1,) = generate(lm, [lm.tokenizer.encode_chat(request, True)], max_new_tokens=5, temperature=0.0)
        assert chain[1].ids == step1.ids


def _chain(*lengths, finished=True):
    return [Sample(list(range(n)), finished, 0 if finished else None) for n in lengths]


def test_rule_based_selection():
    texts = ["3 + 4 = 7. The answer is 7.", "3 + 4 = 8. The answer is 8.", "3 + 4 = 7. The answer is 7!"]
    assert select_pair(_chain(10, 10, 11), texts, "rule") == (2, 0)
    assert select_pair(_chain(10, 10, 10), texts[:2] + texts[:1], "rule") is None  # last equals first
    assert select_pair(_chain(10, 10, 30), texts, "rule") is None  # length ratio 3 outside (0.5, 2)
    assert select_pair(_chain(10, 10, 11, finished=False), texts, "rule") is None  # cut at the length limit
    assert select_pair(_chain(10, 10, 11), texts, "rule", rule=lambda t: t.endswith(".")) is None


def test_reward_selection_pairs_latest_best_with_earliest_worst():
    chain = _chain(5, 5, 5, 5)
    assert select_pair(chain, ["a"] * 4, "reward", scores=[0.0, 1.0, 0.0, 1.0]) == (3, 0)
    assert select_pair(chain, ["a"] * 4, "reward", scores=[1.0, 0.0, 0.5, 0.0]) == (0, 1)
    assert select_pair(chain, ["a"] * 4, "reward", scores=[1.0, 1.0, 1.0, 1.0]) is None


def test_one_aries_round_builds_direct_and_refinement_pairs(tmp_path, plm_dir):
    lm = load_causal_lm(plm_dir)
    prompts = QUESTIONS * 2

    def shorter_is_better(index: int, text: str) -> float:
        return -float(len(text))

    seen = []

    def evaluate(model, k):
        seen.append(k)
        return {"round": float(k)}

    config = AriesConfig(rounds=2, refine_steps=2, selection="reward", prompts_per_round=6, max_new_tokens=8,
                         train=PreferenceConfig(lr=1e-3, optimizer="adamw", warmup=0, batch_size=4, device="cpu"))  # fmt: skip
    result = run_aries(
        lm, prompts, config, reward_fn=shorter_is_better, evaluate=evaluate, out_dir=tmp_path / "a"
    )
    assert seen == [0, 1, 2]
    first = result.rounds[1]
    assert first["samples"] == 18 and first["pairs"] == 2 * first["selected_prompts"] > 0
    assert first["train"]["steps"] >= 1
    pairs = load_pairs(tmp_path / "a" / "round_1" / "pairs.jsonl")
    direct, refine = pairs[0], pairs[1]
    assert direct.is_chat and len(direct.prompt) in (1, 2)
    assert refine.prompt[-1]["content"].endswith(REFINE_TEMPLATE.split("{previous}")[1])
    assert direct.rejected[0]["content"] in refine.prompt[-1]["content"]  # the worse answer is refined
    assert len(direct.chosen[0]["content"]) <= len(direct.rejected[0]["content"])
    assert (tmp_path / "a" / "checkpoint" / "model.safetensors").is_file()


def test_aries_config_errors():
    with pytest.raises(ValueError, match="needs selection='reward'"):
        AriesConfig(method="iterative_dpo", selection="rule")
    with pytest.raises(ValueError, match="accepted: rule, reward"):
        AriesConfig(selection="judge")
    with pytest.raises(ValueError, match=r"must contain \{question\} and \{previous\}"):
        AriesConfig(template="Try again.")


def test_plm_backend_refine_steps(plm_dir):
    from tactica.llm import from_spec
    from tactica.llm.runtime import SamplingParams

    model = from_spec(f"plm:{plm_dir}?refine_steps=2&max_tokens=6")
    assert model.refine_steps == 2 and "refine_steps=2" in model.name
    runtime = model.runtime
    params = SamplingParams(max_new_tokens=6)
    answer = runtime.chat(QUESTIONS[0], params).text
    for _ in range(2):
        answer = runtime.chat(refinement_messages(QUESTIONS[0], answer), params).text
    assert model.chat(QUESTIONS[0]) == answer
    assert (
        from_spec(f"plm:{plm_dir}").chat(QUESTIONS[0], max_tokens=6)
        == runtime.chat(QUESTIONS[0], params).text
    )
    with pytest.raises(ValueError, match="refine_steps takes a non-negative integer"):
        from_spec(f"plm:{plm_dir}?refine_steps=two")
