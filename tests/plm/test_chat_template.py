"""Chat templates: byte-for-byte equality with transformers' apply_chat_template, and hostile templates refused."""

from __future__ import annotations

import pytest

from tactica.llm.plm import PLMTokenizer
from tactica.llm.plm.chat_template import (
    MAX_OUTPUT_CHARS,
    ChatTemplate,
    ChatTemplateError,
    ChatTemplateRenderError,
)

from .chat_templates import FAMILIES, GEMMA, MISTRAL

tokenizers = pytest.importorskip("tokenizers")

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Température à Zürich; returns <celsius> & 'notes' — 天气",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string", "description": 'a city, e.g. "Köln"'}},
                "required": ["city"],
            },
        },
    }
]

CONVERSATIONS = {
    "single": [{"role": "user", "content": "What is 3 plus 4?"}],
    "system": [
        {"role": "system", "content": '  You are terse. Use <b>bold</b> & quotes "like this".  '},
        {"role": "user", "content": "Rock or paper? {{ not a tag }} {% neither %}"},
        {"role": "assistant", "content": "Paper.\n"},
        {"role": "user", "content": "Why? 日本語 🎲 naïve"},
    ],
    "no_system": [
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello! How can I help?"},
        {"role": "user", "content": " Count to three. "},
    ],
    "thinking": [
        {"role": "user", "content": "2+2?"},
        {"role": "assistant", "content": "<think>\nadd them\n</think>\n\n4"},
        {"role": "user", "content": "and 3+3?"},
    ],
}


def _transformers_render(template, specials, messages, **kwargs):
    transformers = pytest.importorskip("transformers")
    backend = tokenizers.Tokenizer(tokenizers.models.BPE())
    hf = transformers.PreTrainedTokenizerFast(tokenizer_object=backend, chat_template=template, **specials)
    return hf.apply_chat_template(messages, tokenize=False, **kwargs)


def _ours(template, specials):
    return PLMTokenizer(
        tokenizers.Tokenizer(tokenizers.models.BPE()), {"chat_template": template, **specials}
    )


def _cases(family):
    _, _, system, tools = FAMILIES[family]
    for name, messages in CONVERSATIONS.items():
        if not system and messages[0]["role"] == "system":
            continue
        for add in (True, False):
            yield name, messages, {"add_generation_prompt": add}
    if tools:
        yield "tools", CONVERSATIONS["single"], {"add_generation_prompt": True, "tools": TOOLS}
    if family in ("qwen2.5", "llama3.2"):
        call = {
            "type": "function",
            "function": {"name": "get_weather", "arguments": {"city": "Köln <centre>"}},
        }
        messages = [
            {"role": "user", "content": "Weather in Köln?"},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [call],
            },  # None keys are dropped, as transformers does
            {"role": "tool", "content": '{"celsius": 21}'},
        ]
        yield "tool_call", messages, {"add_generation_prompt": True, "tools": TOOLS}
    if family == "llama3.2":
        yield "date", CONVERSATIONS["system"], {"add_generation_prompt": True, "date_string": "01 Jan 2025"}
    if family == "qwen3":
        yield (
            "no_thinking",
            CONVERSATIONS["thinking"],
            {"add_generation_prompt": True, "enable_thinking": False},
        )


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_rendering_equals_transformers_byte_for_byte(family):
    template, specials, _, _ = FAMILIES[family]
    ours = _ours(template, specials)
    compared = 0
    for name, messages, kwargs in _cases(family):
        expected = _transformers_render(template, specials, messages, **kwargs)
        extra = {k: v for k, v in kwargs.items() if k != "add_generation_prompt"}
        got = ours.apply_chat_template(messages, kwargs["add_generation_prompt"], **extra)
        assert got.encode("utf-8") == expected.encode("utf-8"), (family, name, kwargs)
        compared += 1
    assert compared >= 4


def test_tojson_keeps_characters_as_transformers_writes_them():
    # jinja2's built-in tojson would write \u003c for '<' and escape non-ASCII; transformers' does not
    template = "{{ tools | tojson }}|{{ tools[0] | tojson(indent=2, sort_keys=True) }}|{{ 'x' | tojson(ensure_ascii=True) }}"
    ours = _ours(template, {}).apply_chat_template([{"role": "user", "content": "x"}], tools=TOOLS)
    assert "<celsius> & 'notes'" in ours and "天气" in ours and "\\u003c" not in ours
    assert ours == _transformers_render(template, {}, [{"role": "user", "content": "x"}], tools=TOOLS)


def test_loop_controls_and_generation_blocks():
    template = (
        "{% for m in messages %}{% if m.role == 'system' %}{% continue %}{% endif %}"
        "{% if loop.index > 3 %}{% break %}{% endif %}{% generation %}[{{ m.content }}]{% endgeneration %}"
        "{% endfor %}{{ dict(a=1) | tojson }}{% set ns = namespace(n=0) %}{% set ns.n = 2 %}{{ ns.n }}"
    )
    messages = [{"role": "system", "content": "s"}] + [{"role": "user", "content": str(i)} for i in range(6)]
    ours = _ours(template, {}).apply_chat_template(messages, add_generation_prompt=False)
    assert ours == '[0][1]{"a": 1}2'  # loop.index counts the skipped system message too
    assert ours == _transformers_render(template, {}, messages)


def test_raise_exception_is_a_render_error_naming_the_reason():
    bad = [{"role": "user", "content": "a"}, {"role": "user", "content": "b"}]
    for template, specials in (
        (MISTRAL, {"bos_token": "<s>", "eos_token": "</s>"}),
        (GEMMA, {"bos_token": "<bos>"}),
    ):
        with pytest.raises(ChatTemplateRenderError, match="roles must alternate"):
            _ours(template, specials).apply_chat_template(bad)
        with pytest.raises(Exception, match="roles must alternate"):  # transformers refuses them too
            _transformers_render(template, specials, bad)


HOSTILE = [
    "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
    "{{ joiner.__init__.__globals__['os'].system('id') }}",
    "{{ namespace.__init__.__globals__ }}",
    "{{ lipsum.__globals__['os'].popen('id').read() }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ self._TemplateReference__context.cycler.__init__.__globals__.os }}",
    "{{ cycler['__init__']['__globals__'] }}",
    "{{ cycler|attr('__init__')|attr('__globals__') }}",
    "{{ raise_exception.__globals__ }}",
    "{{ strftime_now.__globals__['os'] }}",
    "{{ messages|map(attribute='__class__')|list }}",
    "{% set n = '__cla' ~ 'ss__' %}{{ ''|attr(n) }}",
    "{{ messages.__class__.__base__.__subclasses__() }}",
    "{% include 'other.jinja' %}",
    "{% import 'macros' as m %}",
    "{% extends 'base' %}",
]


@pytest.mark.parametrize("template", HOSTILE)
def test_hostile_templates_are_refused_at_load(template):
    with pytest.raises(ChatTemplateError, match="refused as unsafe"):
        ChatTemplate(template)
    with pytest.raises(ChatTemplateError):  # the tokenizer refuses it when it is built, before any request
        _ours(template, {})


def test_hostile_templates_are_refused_when_loading_a_checkpoint(tmp_path, tokenizer):
    tokenizer.save_pretrained(tmp_path)
    (tmp_path / "chat_template.jinja").write_text(HOSTILE[0], encoding="utf-8")
    with pytest.raises(ChatTemplateError, match=r"cycler|__init__"):
        PLMTokenizer.from_pretrained(tmp_path)


@pytest.mark.parametrize(
    "template",
    [
        "{% set n = '__cla' ~ 'ss__' %}{{ messages[0][n].mro() }}",  # a name built at run time: the sandbox stops it
        "{{ 'x' * 100000000 }}",
        "{{ [0] * 100000000 }}",
        "{{ '%0999999999d' % 1 }}",
        "{{ '{:>999999999}'.format(1) }}",
        "{{ 'x'|center(999999999) }}",
        "{{ 7 ** 999999999 }}",
        "{% for i in range(99999) %}{% for j in range(99999) %}{{ 'x' }}{% endfor %}{% endfor %}",
        "{% for i in range(99999) %}{% for j in range(99999) %}{% set k = j %}{% endfor %}{% endfor %}",
        "{{ (messages|first).update({'role': 'x'}) }}",  # the immutable sandbox: no mutation of inputs
    ],
)
def test_runaway_or_sneaky_templates_are_stopped_while_rendering(template):
    compiled = ChatTemplate(template, time_limit=0.3)  # passes the static check
    with pytest.raises(ChatTemplateError, match="stopped by the sandbox"):
        compiled.render([{"role": "user", "content": "hi"}])


def test_syntax_errors_and_bad_forms_are_clear():
    with pytest.raises(ChatTemplateError, match="does not parse"):
        ChatTemplate("{% for m in messages %}")
    with pytest.raises(ChatTemplateError, match="must be a string"):
        ChatTemplate(None)  # type: ignore[arg-type]
    named = [
        {"name": "tool_use", "template": "T"},
        {"name": "default", "template": "{{ messages[0].content }}!"},
    ]
    assert _ours(named, {}).apply_chat_template([{"role": "user", "content": "hi"}]) == "hi!"
    with pytest.raises(ChatTemplateError, match="default"):
        _ours([{"name": "tool_use", "template": "T"}], {})
    assert MAX_OUTPUT_CHARS >= 1 << 20  # room for any real prompt
