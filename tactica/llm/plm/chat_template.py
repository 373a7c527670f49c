"""Chat templates rendered the way transformers renders them, in jinja2's immutable sandbox.

A checkpoint's ``chat_template`` is code from whoever published the checkpoint, and it runs on every request.
:class:`ChatTemplate` compiles it in :class:`jinja2.sandbox.ImmutableSandboxedEnvironment` with the same
settings, extensions, globals and filters that transformers' ``apply_chat_template`` provides
(``trim_blocks``/``lstrip_blocks``, the ``{% break %}``/``{% continue %}`` loop controls, ``{% generation %}``
blocks, ``raise_exception``, ``strftime_now``, a ``dict`` constructor, an underscore-refusing ``namespace`` and a
``tojson`` that keeps non-ASCII and HTML characters as they are), so a template renders to the same text.

Hostile templates are refused when they are loaded, before any request reaches them: any access to an
attribute or key that starts with an underscore (``cycler.__init__.__globals__``,
``''.__class__.__mro__``, ``self._TemplateReference__context``, ``x['__class__']``, ``x|attr('__class__')``),
and ``{% import %}``, ``{% include %}`` and ``{% extends %}``.  What a static check cannot see (a name built
from pieces at run time) the sandbox stops while rendering.  A render also has a time limit and an output
limit, and refuses arguments that would allocate without bound (``'x' * 10**10``, ``'%999999999d'``), so a
template cannot stall or exhaust the process that serves it.
"""

from __future__ import annotations

import functools
import json
import re
import time
from collections.abc import Mapping, Sequence
from contextvars import ContextVar
from datetime import datetime
from typing import Any

from tactica.errors import MissingDependency

__all__ = ["ChatTemplate", "ChatTemplateError", "ChatTemplateRenderError", "plain_template_data"]

# the largest output, repetition or width a render may produce (characters or items)
MAX_OUTPUT_CHARS = 1 << 22
# wall-clock seconds a render may take; real templates take milliseconds
RENDER_SECONDS = 2.0
# special-token names transformers passes to templates (its SPECIAL_TOKENS_ATTRIBUTES)
SPECIAL_TOKEN_NAMES = (
    "bos_token",
    "eos_token",
    "unk_token",
    "sep_token",
    "pad_token",
    "cls_token",
    "mask_token",
)


class ChatTemplateError(ValueError):
    """The template itself is unusable: a syntax error, or refused as unsafe."""


class ChatTemplateRenderError(ValueError):
    """Rendering failed because of the messages (the template's ``raise_exception``, a missing key...)."""


def _jinja():
    try:
        import jinja2
        import jinja2.ext
        import jinja2.nodes
        import jinja2.sandbox
    except ImportError as exc:  # pragma: no cover - jinja2 comes with transformers and torch
        raise MissingDependency("jinja2", purpose="chat templates") from exc
    return jinja2


def plain_template_data(value: Any) -> Any:
    """``value`` rebuilt from plain JSON types (str, int, float, bool, None, dict, list, tuple).

    The template sees only these, so an object passed in a message cannot lend it methods; anything else becomes
    a placeholder naming its type, as transformers does.
    """
    if value is None or type(value) in (str, int, float, bool):
        return value
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, int):
        return int.__int__(value)
    if isinstance(value, float):
        return float.__float__(value)
    if isinstance(value, Mapping):
        return {plain_template_data(k): plain_template_data(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain_template_data(v) for v in value]
    if isinstance(value, tuple):
        return tuple(plain_template_data(v) for v in value)
    return f"<{type(value).__name__}>"


# ---------------------------------------------------------------------------------------------- limits
_budget: ContextVar[tuple[float, float] | None] = ContextVar("chat_template_deadline", default=None)
_FORMAT_NUMBER = re.compile(r"%[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?")


def _check_deadline() -> None:
    budget = _budget.get()
    if budget is not None and time.monotonic() > budget[0]:
        raise _jinja().exceptions.SecurityError(f"the chat template ran longer than {budget[1]:g} s")


def _check_size(value: Any, what: str) -> None:
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_OUTPUT_CHARS:
        raise _jinja().exceptions.SecurityError(
            f"{what} {value} exceeds the chat template limit {MAX_OUTPUT_CHARS}"
        )


def _check_percent_format(fmt: str) -> None:
    for match in _FORMAT_NUMBER.finditer(fmt):
        for field in match.groups():
            if field == "*":
                raise _jinja().exceptions.SecurityError(
                    "'*' widths in %-formatting are not allowed in chat templates"
                )
            if field:
                _check_size(int(field), "a %-format width")


def _check_brace_format(fmt: str) -> None:
    for number in re.findall(r"\{[^{}]*:[^{}]*?(\d+)[^{}]*\}", fmt):
        _check_size(int(number), "a format width")


def _environment_class():
    jinja2 = _jinja()
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    class _LimitedEnvironment(ImmutableSandboxedEnvironment):
        """The immutable sandbox plus a deadline and size limits on the operations that can allocate."""

        intercepted_binops = frozenset(["*", "**", "%"])

        def call_binop(self, context, operator, left, right):
            _check_deadline()
            if operator == "*":
                for count, other in ((left, right), (right, left)):
                    if isinstance(count, int) and isinstance(other, (str, list, tuple)):
                        _check_size(count * max(len(other), 1), "a repetition of")
            elif operator == "**":
                if isinstance(right, int) and isinstance(left, int) and abs(right) > 256 and abs(left) > 1:
                    raise jinja2.exceptions.SecurityError(f"the power {left} ** {right} is too large")
            elif operator == "%" and isinstance(left, str):
                _check_percent_format(left)
            return super().call_binop(context, operator, left, right)

        def call(__self, __context, __obj, *args, **kwargs):  # noqa: N805 - jinja2's signature
            _check_deadline()
            for value in (*args, *kwargs.values()):
                _check_size(value, "an argument")
            return super().call(__context, __obj, *args, **kwargs)

        def getattr(self, obj, attribute):
            _check_deadline()
            if isinstance(obj, str) and attribute in ("format", "format_map"):
                _check_brace_format(obj)
            return super().getattr(obj, attribute)

        def getitem(self, obj, argument):
            _check_deadline()
            return super().getitem(obj, argument)

    return _LimitedEnvironment


def _guarded_filter(name: str, function):
    """``function`` with the deadline and size checks (compiled templates call filters directly)."""

    @functools.wraps(function)  # keeps jinja2's pass_context/pass_environment marks
    def guarded(*args, **kwargs):
        _check_deadline()
        for value in (*args[1:], *kwargs.values()):
            _check_size(value, f"an argument of the filter {name!r}")
        if name == "format" and args and isinstance(args[-1], str):
            _check_percent_format(args[-1])
        return function(*args, **kwargs)

    return guarded


# ---------------------------------------------------------------------------------------------- globals
def _raise_exception(message):
    raise _jinja().exceptions.TemplateError(message)


def _tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    # jinja2's own tojson escapes <, >, & and ' for HTML; chat templates need the characters themselves
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


def _strftime_now(format):  # noqa: A002 - the name templates call it with
    return datetime.now().strftime(format)


class _TemplateDict:
    """``dict(...)`` for templates, without handing them the ``dict`` type itself."""

    def __call__(self, *args, **kwargs):
        return dict(*args, **kwargs)

    def fromkeys(self, *args, **kwargs):
        return dict.fromkeys(*args, **kwargs)


def _namespace_class():
    jinja2 = _jinja()

    class _TemplateNamespace(jinja2.utils.Namespace):
        """jinja2's ``namespace`` that refuses underscore-prefixed names (no way to reach CPython internals)."""

        def __init__(*args, **kwargs):  # noqa: N805 - Namespace's signature, so namespace(self=...) works
            self, args = args[0], args[1:]
            attrs = dict(*args, **kwargs)
            for name in attrs:
                _TemplateNamespace._check_name(name)
            jinja2.utils.Namespace.__init__(self, attrs)

        def __setitem__(self, name, value):
            _TemplateNamespace._check_name(name)
            jinja2.utils.Namespace.__setitem__(self, name, value)

        @staticmethod
        def _check_name(name):
            if isinstance(name, str) and name.startswith("_"):
                raise jinja2.exceptions.SecurityError(
                    f"chat templates cannot store underscore-prefixed names on a namespace, got {name!r}"
                )

    return _TemplateNamespace


def _generation_extension():
    jinja2 = _jinja()

    class _GenerationBlock(jinja2.ext.Extension):
        """``{% generation %}...{% endgeneration %}``: marks assistant text for training masks; renders its body."""

        tags = {"generation"}

        def parse(self, parser):
            lineno = next(parser.stream).lineno
            body = parser.parse_statements(("name:endgeneration",), drop_needle=True)
            return jinja2.nodes.CallBlock(self.call_method("_render"), [], [], body).set_lineno(lineno)

        def _render(self, caller):
            return caller()

    return _GenerationBlock


# ---------------------------------------------------------------------------------------------- static check
def _refusals(tree) -> list[str]:
    """What in the parsed template reaches for Python internals or other templates, with line numbers."""
    nodes = _jinja().nodes
    found = []

    def underscored(value) -> bool:
        return isinstance(value, str) and value.startswith("_")

    for node in tree.find_all((nodes.Getattr, nodes.Getitem, nodes.Filter, nodes.Keyword, nodes.Import,
                               nodes.FromImport, nodes.Include, nodes.Extends)):  # fmt: skip
        line = getattr(node, "lineno", "?")
        if isinstance(node, nodes.Getattr) and underscored(node.attr):
            found.append(f"attribute '.{node.attr}' (line {line})")
        elif (
            isinstance(node, nodes.Getitem)
            and isinstance(node.arg, nodes.Const)
            and underscored(node.arg.value)
        ):
            found.append(f"key [{node.arg.value!r}] (line {line})")
        elif isinstance(node, nodes.Filter) and node.name == "attr":
            arg = node.args[0] if node.args else None
            if not isinstance(arg, nodes.Const):
                found.append(f"attr() with a computed name (line {line})")
            elif underscored(arg.value):
                found.append(f"attr({arg.value!r}) (line {line})")
        elif (
            isinstance(node, nodes.Keyword)
            and node.key == "attribute"
            and isinstance(node.value, nodes.Const)
        ):
            # map(attribute=...), selectattr, sort, groupby...: a dotted path read with getattr
            if any(underscored(part) for part in str(node.value.value).split(".")):
                found.append(f"attribute={node.value.value!r} (line {line})")
        elif isinstance(node, (nodes.Import, nodes.FromImport, nodes.Include, nodes.Extends)):
            found.append(f"{{% {type(node).__name__.lower()} %}} (line {line})")
    return found


class ChatTemplate:
    """A compiled, checked chat template.

    Args:
        source: the Jinja text (``tokenizer_config.json``'s ``chat_template`` or ``chat_template.jinja``).
        special_tokens: the named special tokens the template may use (``bos_token``, ``eos_token``...), passed
            as transformers passes its tokenizer's ``special_tokens_map``: only those that are set.
        time_limit: seconds one render may take before it is stopped.

    Raises:
        ChatTemplateError: the template does not parse, or reaches for Python internals.
    """

    def __init__(
        self,
        source: str,
        special_tokens: Mapping[str, str] | None = None,
        *,
        time_limit: float = RENDER_SECONDS,
    ):
        if not isinstance(source, str):
            raise ChatTemplateError(f"a chat template must be a string, got {type(source).__name__}")
        jinja2 = _jinja()
        env = _environment_class()(
            trim_blocks=True,
            lstrip_blocks=True,
            extensions=[_generation_extension(), jinja2.ext.loopcontrols],
        )
        env.filters["tojson"] = _tojson
        env.filters.update({name: _guarded_filter(name, f) for name, f in env.filters.items()})
        env.globals.update(
            raise_exception=_raise_exception,
            strftime_now=_strftime_now,
            dict=_TemplateDict(),
            namespace=_namespace_class(),
        )
        try:
            tree = env.parse(source)
        except jinja2.exceptions.TemplateSyntaxError as exc:
            raise ChatTemplateError(
                f"the chat template does not parse: {exc.message} (line {exc.lineno})"
            ) from None
        refused = _refusals(tree)
        if refused:
            raise ChatTemplateError(
                "the chat template is refused as unsafe: it reaches for "
                + ", ".join(refused[:4])
                + ("..." if len(refused) > 4 else "")
                + "; templates may not use underscore-prefixed names, attr() with computed names, or other templates"
            )
        self.source = source
        self.time_limit = float(time_limit)
        self.special_tokens = {k: v for k, v in (special_tokens or {}).items() if isinstance(v, str)}
        self._template = env.from_string(source)

    def render(
        self,
        messages: Sequence[Mapping[str, Any]],
        *,
        add_generation_prompt: bool = False,
        tools: Sequence[Mapping[str, Any]] | None = None,
        documents: Sequence[Mapping[str, Any]] | None = None,
        **variables: Any,
    ) -> str:
        """The prompt text for ``messages``, as transformers' ``apply_chat_template(..., tokenize=False)`` gives it.

        Keys whose value is ``None`` are dropped from each message (as transformers does); ``variables`` are
        extra template variables (``date_string``, ``enable_thinking``...) and override the special tokens.

        Raises:
            ChatTemplateRenderError: the template rejected the messages (``raise_exception``), or failed on them.
            ChatTemplateError: the template broke the sandbox's rules or its time or size limit.
        """
        jinja2 = _jinja()
        chat = []
        for i, message in enumerate(messages):
            if not isinstance(message, Mapping):
                raise ChatTemplateRenderError(
                    f"messages[{i}] must be a mapping, got {type(message).__name__}"
                )
            chat.append({k: v for k, v in message.items() if v is not None})
        context = dict(self.special_tokens) | plain_template_data(variables)
        context |= {
            "messages": plain_template_data(chat),
            "tools": plain_template_data(list(tools) if tools is not None else None),
            "documents": plain_template_data(list(documents) if documents is not None else None),
            "add_generation_prompt": bool(add_generation_prompt),
        }
        token = _budget.set((time.monotonic() + self.time_limit, self.time_limit))
        pieces, size = [], 0
        try:
            for piece in self._template.generate(**context):
                size += len(piece)
                if size > MAX_OUTPUT_CHARS:
                    raise jinja2.exceptions.SecurityError(
                        f"the chat template's output exceeds {MAX_OUTPUT_CHARS} characters"
                    )
                _check_deadline()
                pieces.append(piece)
        except jinja2.exceptions.SecurityError as exc:
            raise ChatTemplateError(f"the chat template was stopped by the sandbox: {exc}") from None
        except jinja2.exceptions.TemplateError as exc:  # raise_exception, undefined errors
            raise ChatTemplateRenderError(
                f"the chat template rejected the messages: {exc.message or exc}"
            ) from None
        except (TypeError, ValueError, KeyError, IndexError, AttributeError, ZeroDivisionError, OverflowError,
                RecursionError) as exc:  # fmt: skip
            raise ChatTemplateRenderError(
                f"the chat template failed on these messages: {type(exc).__name__}: {exc}"
            ) from None
        finally:
            _budget.reset(token)
        return "".join(pieces)
