"""Sentences by catalogue key: what checks and judges write, rendered later in the reader's language.

``say("note.psi_drift", threshold="0.2")`` is a :class:`~conformance.result.Message`; the keys live
in ``conformance/report/locales`` (``en.yaml`` holds the English). A parameter may be another
message, or a list of messages (joined by the language's separator).
"""

from __future__ import annotations

from conformance.result import Message


def _plain(value: object) -> object:
    if isinstance(value, Message):
        return value.model_dump()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def say(key: str, **params: object) -> Message:
    """A catalogue message with its parameters (messages inside it kept as plain dicts, as stored)."""
    return Message(key=key, params={name: _plain(value) for name, value in params.items()})


def english(messages: list[Message] | list[dict]) -> str:
    """The English of messages joined by "; ": the text stored beside them for readers of the JSON."""
    from conformance.locale import Words

    return Words("en").parts(messages)


def parts(*items: Message | list[Message] | None) -> list[Message]:
    """Messages joined into one note: None and empty lists drop out, lists are flattened."""
    joined: list[Message] = []
    for item in items:
        if isinstance(item, Message):
            joined.append(item)
        elif item:
            joined.extend(item)
    return joined
