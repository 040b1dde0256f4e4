"""Code labels: how a code reads to a person, declared beside the code.

Plain Python (no Django): the pure rules modules use the codes too. A code enum
subclasses ``LabelledEnum`` and declares each member as ``(code, label)``::

    class EventKind(LabelledEnum):
        MRI_PERFORMED = "mri_performed", "MRI performed"

``EventKind.MRI_PERFORMED`` is still the string ``"mri_performed"`` (the public
code: rename none, add freely); ``.label`` is what a person reads, and
``EventKind.choices()`` gives Django field choices. Every labelled enum is
registered by class name, so ``label_of("EventKind", code)`` (and the
``label`` template filter built on it) finds a stored code's label.
"""

from enum import StrEnum
from typing import Any, Self

_REGISTRY: dict[str, type["LabelledEnum"]] = {}


class LabelledEnum(StrEnum):
    """A string code with the words a person reads for it."""

    _label: str

    def __new__(cls, value: str, label: str | None = None) -> Self:
        member = str.__new__(cls, value)
        member._value_ = value
        # A member declared without a label reads as its code in words.
        member._label = label if label is not None else code_words(value).capitalize()
        return member

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _REGISTRY[cls.__name__] = cls

    @property
    def label(self) -> str:
        return self._label

    @property
    def in_sentence(self) -> str:
        """The label inside a sentence: ``"Acknowledgement"`` → ``"acknowledgement"``,
        but ``"MRI performed"`` and ``"MSCC confirmed"`` keep their capitals."""
        return in_sentence(self._label)

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        """Django field choices: (code, label) pairs in declaration order."""
        return [(member.value, member.label) for member in cls]

    @classmethod
    def labels(cls) -> dict[str, str]:
        """Code → label, for lookups by a stored (plain string) code."""
        return {member.value: member.label for member in cls}


def code_words(code: str) -> str:
    """A code spelt out as it is typed (``in_app`` → ``in app``): for texts
    that echo the codes a service admin edits, not for a code's label."""
    return str(code).replace("_", " ")


def in_sentence(text: str) -> str:
    """``text`` to follow other words: its first letter in lower case, unless
    its first word is an abbreviation (``MRI``, ``MSCC``, ``SINS``)."""
    if len(text) > 1 and text[1].isupper():
        return text
    return text[:1].lower() + text[1:]


def labelled(name: str) -> type[LabelledEnum]:
    """The labelled enum called ``name`` (e.g. ``"EventKind"``)."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise LookupError(f"No labelled code enum called {name!r}.") from None


def label_of(name: str, code: object) -> str:
    """The label of ``code`` in the enum called ``name``; an unknown code reads
    as itself, so a page never fails on a value added later."""
    if isinstance(code, LabelledEnum):
        return code.label
    return labelled(name).labels().get(str(code), str(code))


def choices(enum: type[LabelledEnum]) -> list[tuple[str, str]]:
    """Django field choices from a labelled enum (same as ``enum.choices()``)."""
    return enum.choices()
