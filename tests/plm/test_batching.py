"""Batched decoding, the prefix cache and the continuous-batching scheduler, in process."""

from __future__ import annotations

import pytest
import torch

from tactica.llm.runtime import BatchScheduler, EdgeModel, Generation, PLMRuntime, PrefixCache, SamplingParams

from .conftest import all_at_once, random_model, tiny_config


@pytest.mark.parametrize("quantize", [None, "int8-dynamic"])
def test_one_batched_step_equals_each_sequence_alone(quantize):
    engine = EdgeModel(random_model(tiny_config(), seed=4), quantize=quantize)
    prompts = [[5, 6, 7], list(range(1, 20)), [42], [9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 11, 12]]
    alone, caches = [], []
    for prompt in prompts:  # the reference: each sequence decoded on its own
        cache = engine.new_cache()
        engine.forward(prompt, cache)
        alone.append(engine.forward([3], cache))
        batch_cache = engine.new_cache()
        engine.forward(prompt, batch_cache)
        caches.append(batch_cache)
    together = engine.forward_batch([3] * len(prompts), caches)
    torch.testing.assert_close(together, torch.stack(alone), atol=1e-4, rtol=0)
    assert [c.length for c in caches] == [len(p) + 1 for p in prompts]
    with pytest.raises(ValueError, match="one token per cache"):
        engine.forward_batch([1, 2], caches)


def test_prefix_cache_skips_the_shared_prefix_and_changes_nothing():
    engine = EdgeModel(random_model(tiny_config(), seed=5))
    prefix_cache = PrefixCache(min_tokens=4)
    system = list(range(10, 40))  # 30 shared tokens
    first, second = system + [1, 2, 3], system + [4, 5]
    cache = engine.new_cache()
    assert prefix_cache.restore_into(first, cache) == 0
    engine.forward(first, cache)
    prefix_cache.store(first, cache)
    reused = engine.new_cache()
    assert prefix_cache.restore_into(second, reused) == 30  # the common prefix
    logits = engine.forward(second[30:], reused)
    fresh = engine.forward(second, engine.new_cache())
    torch.testing.assert_close(logits, fresh, atol=1e-5, rtol=0)
    again = engine.new_cache()
    assert prefix_cache.restore_into(first, again) == len(first) - 1  # the last token is always computed
    assert prefix_cache.stats.hits == 2 and prefix_cache.stats.reused_tokens == 30 + len(first) - 1


def test_prefix_cache_extends_entries_and_evicts_by_size():
    engine = EdgeModel(random_model(tiny_config(), seed=5))
    per_token = engine.new_cache().bytes_per_token()
    prefix_cache = PrefixCache(max_bytes=per_token * 60, min_tokens=4)
    for prompt in (list(range(20)), list(range(30)), list(range(50, 90))):
        cache = engine.new_cache()
        engine.forward(prompt, cache)
        prefix_cache.store(prompt, cache)
    # the 30-token prompt replaced the 20-token one it extends; the 40-token one then evicted it (30 + 40 > 60)
    assert len(prefix_cache) == 1 and prefix_cache.nbytes == per_token * 40
    assert prefix_cache.stats.evicted == 1


def test_in_process_agents_reuse_their_system_prompt(checkpoint_dir):
    runtime = PLMRuntime.from_pretrained(checkpoint_dir)
    system = {"role": "system", "content": "You are a rock paper scissors player. Answer with one move. " * 4}
    warmed = runtime.warm([system])
    params = SamplingParams(max_new_tokens=4)
    results = []
    for move in ("rock", "paper", "scissors"):
        result = Generation()
        for _ in runtime.stream_chat(
            [system, {"role": "user", "content": f"They played {move}."}], params, result
        ):
            pass
        results.append(result)
    assert all(r.cached_tokens >= warmed for r in results)
    plain = PLMRuntime(runtime.engine, runtime.tokenizer, use_prefix_cache=False)
    assert [r.text for r in results] == [
        plain.chat([system, {"role": "user", "content": f"They played {m}."}], params).text
        for m in ("rock", "paper", "scissors")
    ]


def test_scheduler_serves_many_threads_and_reports_batches(checkpoint_dir):
    runtime = PLMRuntime.from_pretrained(checkpoint_dir)
    questions = [f"What is {i} plus {i}?" for i in range(12)]
    expected = [
        runtime.chat([{"role": "user", "content": q}], SamplingParams(max_new_tokens=10)).text
        for q in questions
    ]
    scheduler = BatchScheduler(runtime, max_batch=6).start()

    def ask(i: int) -> str:
        ids = runtime.chat_prompt_ids([{"role": "user", "content": questions[i]}])
        return "".join(scheduler.submit(ids, SamplingParams(max_new_tokens=10)))

    got = all_at_once(ask, len(questions))
    assert got == expected
    assert 1 < scheduler.stats.max_batch_seen <= 6
    # a consumer that stops reading leaves the batch; the scheduler carries on
    pieces = scheduler.submit(runtime.tokenizer.encode("Rock"), SamplingParams(max_new_tokens=50))
    next(pieces, None)
    pieces.close()
    assert (
        "".join(scheduler.submit(runtime.tokenizer.encode("Rock"), SamplingParams(max_new_tokens=3)))
        is not None
    )
    scheduler.close()
    with pytest.raises(RuntimeError, match="closed"):
        scheduler.submit([1, 2], SamplingParams())
    with pytest.raises(ValueError, match="no room"):
        BatchScheduler(runtime).submit([1] * runtime.context_length, SamplingParams())
