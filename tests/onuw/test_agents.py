"""The discussion agents: beliefs, speeches, votes, CQL, self-play rewards and the training script."""

from __future__ import annotations

import json

import numpy as np
import pytest

import tactica  # noqa: F401
from tactica import agents
from tactica.agents.discussion.agent import AlwaysHonest, DiscussionAgent, RandomTactic
from tactica.agents.discussion.belief import ExactBelief, HeuristicBelief
from tactica.agents.discussion.cql import CQLConfig, OfflineDataset, train_cql
from tactica.agents.discussion.selfplay import GameRecord, Setting, play_game, transitions
from tactica.agents.discussion.speech import realize
from tactica.envs import make_aec
from tactica.envs.onuw.presets import PRESETS
from tactica.envs.onuw.rules import Game, NightAction, Role, RuleOptions, Tactic
from tactica.llm.scripted import ScriptedChatModel

ONUW_AGENTS = ("onuw-rl", "onuw-random-tactic", "onuw-honest", "onuw-belief")


def _three_player_after_robbing_p1() -> Game:
    p = PRESETS["3p"]
    game = Game(p.deck, 3, RuleOptions.paper(), deal=p.deal)
    game.play_night({2: NightAction("rob", (0,))})
    return game


def test_exact_belief_in_the_three_player_game():
    game = _three_player_after_robbing_p1()
    belief = ExactBelief()
    roles = game.roles_in_deck  # Werewolf, Robber
    assert roles == (Role.WEREWOLF, Role.ROBBER)
    # Player 1 knows the deal (three cards); the Robber stays, robs P1 or robs P2 with probability 1/3 each.
    np.testing.assert_allclose(belief(game.view(0)), [[2 / 3, 1 / 3], [2 / 3, 1 / 3], [2 / 3, 1 / 3]])
    # The Robber saw Player 1's Werewolf card: it is the Werewolf now and Player 1 the Robber.
    robber = belief(game.view(2))
    np.testing.assert_allclose(robber, [[0, 1], [1, 0], [1, 0]])


@pytest.mark.parametrize("stay", [1 / 3, 0.0, 0.5])
def test_env_exact_belief_equals_the_equilibrium_module(stay):
    """The ``3p`` preset and the equilibrium module describe one game: the Werewolves' exact belief in the env
    (the Robber's night drawn from a profile) is the module's Bayesian belief mapped to final cards."""
    from tactica.envs import make_aec
    from tactica.envs.onuw.equilibrium import final_role_beliefs, no_discussion_profile, werewolf_beliefs

    profile = no_discussion_profile(stay=stay)
    belief = ExactBelief(
        night_prior=lambda seat, role, options: profile.night if role == Role.ROBBER else [1.0]
    )
    env = make_aec("ONUW-v1", preset="3p")
    env.reset(seed=0)
    for _ in range(3):  # the night: the Werewolves pass, the Robber stays
        env.step(0)
    expected = final_role_beliefs(werewolf_beliefs(profile)[0])
    for wolf in ("player_0", "player_1"):
        np.testing.assert_allclose(belief(env.infos[wolf]["view"]), expected, atol=1e-12)


def test_heuristic_belief_uses_knowledge_and_claims():
    p = PRESETS["5p-hard"]
    game = Game(p.deck, 5, RuleOptions.paper(), deal=p.deal)
    game.play_night(p.forced_night)
    w = game.roles_in_deck.index(Role.WEREWOLF)
    seer = HeuristicBelief()(game.view(2))
    assert seer[3, w] == max(seer[:, w])  # the Seer saw a Werewolf at P4
    insomniac = HeuristicBelief()(game.view(1))
    assert insomniac[1, game.roles_in_deck.index(Role.SEER)] == 1.0  # sure of its final card


def test_realize_honest_and_deceptive_content():
    game = _three_player_after_robbing_p1()
    view = game.view(2)
    rng = np.random.default_rng(0)
    belief = ExactBelief()(view)
    assert realize(view, belief, Tactic.HONEST_EVIDENCE, rng) == (Role.ROBBER, 0)
    # The only Village role of the three-card game is the Robber's own: it lies about whom it robbed.
    claim, target = realize(view, belief, Tactic.DECEPTIVE_EVIDENCE, rng)
    assert claim == Role.ROBBER and target in (None, 1)
    # Honest accusation names the player most likely to be a Werewolf, deceptive the least likely.
    assert realize(view, belief, Tactic.HONEST_ACCUSATION, rng) == (Role.WEREWOLF, 1)
    assert realize(view, belief, Tactic.DECEPTIVE_ACCUSATION, rng) == (Role.WEREWOLF, 0)
    assert realize(view, belief, Tactic.DECEPTIVE_DEFENSE, rng)[1] == 2  # protects itself (now a wolf)


def test_votes_follow_the_belief():
    game = _three_player_after_robbing_p1()
    game.options = RuleOptions.paper(discussion_rounds=0)
    agent = DiscussionAgent(RandomTactic(), seed=0)
    # The Robber (now a Werewolf) votes the player it believes is Village: Player 1.
    assert agent.vote(game.view(2), [0, 1]) == 0


@pytest.mark.parametrize("name", ONUW_AGENTS)
def test_registered_agents_play_a_full_env_game(name):
    env = make_aec("ONUW-v1", preset="5p-easy", discussion_rounds=1)
    env.reset(seed=0)
    players = {
        a: agents.make(name, action_space=env.action_space(a), seed=i) for i, a in enumerate(env.agents)
    }
    for agent in env.agent_iter():
        obs, reward, term, trunc, info = env.last()
        env.step(None if term or trunc else players[agent].act(obs, info))
    assert env.game.outcome is not None


@pytest.mark.parametrize("preset", list(PRESETS))
def test_rl_agent_plays_every_preset(preset):
    """The shipped policy of the preset's setting (3 or 5 players) is picked from the game being played."""
    env = make_aec("ONUW-v1", preset=preset)
    env.reset(seed=1)
    players = {a: agents.make("onuw-rl", seed=i) for i, a in enumerate(env.agents)}
    for agent in env.agent_iter():
        obs, reward, term, trunc, info = env.last()
        env.step(None if term or trunc else players[agent].act(obs, info))
    assert env.game.outcome is not None and env.forfeit is None
    assert sum(len(p.tactics_used) for p in players.values()) == len(env.game.speeches)


def test_rl_state_holds_the_own_night_action():
    from tactica.agents.discussion.agent import agent_state
    from tactica.envs.onuw.features import NIGHT_KINDS

    p = PRESETS["5p-easy"]
    game = Game(p.deck, 5, RuleOptions.paper(), deal=p.deal)
    game.play_night(p.forced_night)
    troublemaker = game.view(0)  # swapped Players 3 and 5 without seeing anything
    state = agent_state(troublemaker, np.zeros((5, 6)))
    start = 5 + 6 + 4 + 2
    assert state[start + NIGHT_KINDS.index("swap")] == 1.0
    assert state[start + len(NIGHT_KINDS) + 2] == 1.0 and state[start + len(NIGHT_KINDS) + 4] == 1.0


def test_llm_writes_the_words_of_the_chosen_tactic():
    llm = ScriptedChatModel(["I am the Robber and I took Player 1's card."], cycle=True)
    agent = agents.make("onuw-honest", llm=llm, seed=0)
    game = _three_player_after_robbing_p1()
    speech = agent.speak(game.view(0))  # Player 1 speaks first
    assert speech.tactic == Tactic.HONEST_EVIDENCE and speech.claim == Role.WEREWOLF
    assert speech.text == "I am the Robber and I took Player 1's card."
    prompt = llm.calls[0][1]["content"]
    assert "your speaking strategy is: honest evidence" in prompt and "Player 1" in prompt


def test_the_llm_writer_seeds_each_call_from_the_agents_seed():
    class SeedLog(ScriptedChatModel):
        def chat(self, messages, **kwargs):
            self.seeds = [*getattr(self, "seeds", []), kwargs["seed"]]
            return super().chat(messages, **kwargs)

    def seeds(seed: int) -> list:
        llm = SeedLog(["I took Player 1's card."], cycle=True)
        agent = agents.make("onuw-honest", llm=llm, seed=seed)
        game = _three_player_after_robbing_p1()
        agent.speak(game.view(0))
        agent.speak(game.view(0))
        return llm.seeds

    first = seeds(0)
    assert len(first) == 2 and None not in first and first[0] != first[1]  # every call its own seed
    assert seeds(0) == first  # a seeded agent asks with the same seeds again
    assert seeds(1) != first


def test_always_honest_policy():
    game = _three_player_after_robbing_p1()
    assert (
        AlwaysHonest().choose(game.view(0), np.zeros((3, 4)), np.random.default_rng(0))
        == Tactic.HONEST_EVIDENCE
    )


def test_paper_reward_of_transitions():
    setting = Setting.from_preset("5p-easy")
    players = [DiscussionAgent(RandomTactic(), seed=i) for i in range(5)]
    record: GameRecord = play_game(setting, players, np.random.default_rng(0))
    rows = transitions(record)
    assert len(rows) == 15 and sum(r[4] for r in rows) == 5  # one terminal transition per player
    out = record.outcome
    for seat, state, _tactic in record.speeches:
        matching = [r for r in rows if r[0] is state]
        assert matching[0][2] == pytest.approx(out.rewards[seat] - out.tally[seat] / 5)


def test_cql_prefers_the_best_logged_action_and_is_conservative():
    rng = np.random.default_rng(0)
    n = 600
    states = rng.normal(size=(n, 4)).astype(np.float32)
    actions = rng.integers(0, 3, size=n)  # actions 3..5 never appear in the data
    rewards = np.where(actions == 2, 1.0, -1.0).astype(np.float32)
    data = OfflineDataset(states, actions, rewards, states, np.ones(n, dtype=np.float32))
    q = train_cql(data, 6, CQLConfig(n_steps=400, batch_size=64, learning_rate=3e-3, hidden=(32,), alpha=1.0))
    import torch

    values = q(torch.from_numpy(states)).detach().numpy()
    assert (values.argmax(axis=1) == 2).mean() > 0.9
    assert values[:, 3:].max(axis=1).mean() < values[:, 2].mean()  # unseen tactics are not overvalued


def test_training_script_writes_a_run_directory(tmp_path):
    from tactica.agents.discussion.train import main

    run = tmp_path / "run"
    code = main(
        [
            "all",
            "--games",
            "4",
            "--eval-games",
            "2",
            "--steps",
            "100",
            "--run-dir",
            str(run),
            "--quiet",
            "--json",
        ]
    )
    assert code == 0
    for name in ("config.json", "dataset.npz", "metrics.jsonl", "q.pt", "eval.json", "table.md"):
        assert (run / name).is_file(), name
    assert json.loads((run / "config.json").read_text())["all"]["seed"] == 0
    assert main(["train", "--run-dir", str(tmp_path / "empty"), "--quiet"]) == 2


def test_learned_belief_step_and_agent(tmp_path):
    from tactica.agents.discussion.belief import LearnedBelief
    from tactica.agents.discussion.train import main

    assert main(["belief", "--games", "3", "--steps", "20", "--run-dir", str(tmp_path), "--quiet"]) == 0
    belief = LearnedBelief.load(tmp_path / "belief.pt")
    p = PRESETS["5p-easy"]
    game = Game(p.deck, 5, RuleOptions.paper(), deal=p.deal)
    game.play_night(p.forced_night)
    rows = belief(game.view(0))
    assert rows.shape == (5, 6) and np.allclose(rows.sum(axis=1), 1.0)
    speech = DiscussionAgent(AlwaysHonest(), belief=belief, seed=0).speak(game.view(0))
    assert speech.tactic == Tactic.HONEST_EVIDENCE
    with pytest.raises(ValueError, match="trained for another"):
        belief(_three_player_after_robbing_p1().view(0))


def test_shipped_policy_beats_random_tactics():
    """Two rows of the docs/onuw.md table, on 100 of its games each: the RL team wins more than random tactics."""
    from tactica.agents.discussion.agent import make_random_tactic_agent, make_rl_agent
    from tactica.agents.discussion.selfplay import evaluate_matchup
    from tactica.envs.onuw.rules import Team

    opponents = lambda s: make_random_tactic_agent(seed=s)  # noqa: E731
    for deal, team in (("5p-easy", Team.WEREWOLF), ("5p-hard", Team.VILLAGE)):
        setting = Setting.from_preset(deal)
        rl = evaluate_matchup(setting, lambda s: make_rl_agent(seed=s), opponents, team, 100, 1)
        rand = evaluate_matchup(setting, opponents, opponents, team, 100, 1)
        # docs/onuw.md, 300 games: +0.49 (easy, Werewolf side) and +0.29 (hard, Village side)
        assert rl.focal_team_win > rand.focal_team_win + 0.2
        assert rl.focal_votes < rand.focal_votes


def test_quantile_cql_option_and_the_paper_configuration():
    import torch

    from tactica.agents.discussion.cql import quantile_huber_loss

    paper = CQLConfig.paper()
    assert (paper.q_function, paper.n_quantiles, paper.learning_rate, paper.batch_size, paper.alpha) == (
        "qr",
        32,
        5e-5,
        32,
        4.0,
    )
    # Hand value: quantiles (0, 0) at taus (1/4, 3/4) against targets (1, 1): every error is 1, Huber 1/2,
    # weights tau -> sum_i tau_i / 2 = 0.5.
    taus = torch.tensor([0.25, 0.75])
    assert quantile_huber_loss(torch.zeros(1, 1, 2), torch.ones(1, 2), taus).item() == pytest.approx(0.5)
    rng = np.random.default_rng(0)
    n = 600
    states = rng.normal(size=(n, 4)).astype(np.float32)
    actions = rng.integers(0, 3, size=n)
    rewards = np.where(actions == 2, 1.0, -1.0).astype(np.float32)
    data = OfflineDataset(states, actions, rewards, states, np.ones(n, dtype=np.float32))
    config = CQLConfig(
        n_steps=200,
        batch_size=64,
        learning_rate=3e-3,
        hidden=(32,),
        alpha=1.0,
        q_function="qr",
        n_quantiles=8,
    )
    q = train_cql(data, 6, config)
    assert q.all_quantiles(torch.from_numpy(states)).shape == (2, n, 6, 8)
    values = q(torch.from_numpy(states)).detach().numpy()
    assert (values.argmax(axis=1) == 2).mean() > 0.9
    with pytest.raises(ValueError, match="q_function"):
        CQLConfig(q_function="iqn")
