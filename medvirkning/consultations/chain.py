"""The tamper-evident log of a consultation: a hash chain anyone can check with Python alone.

Each entry holds the SHA-256 of the entry before it (64 zeros for the first) and the SHA-256
of its own canonical JSON: every field but `hash` as one JSON object in UTF-8, keys sorted
at every level, no whitespace between tokens, non-ASCII characters written as themselves,
no floats. That is byte for byte what Python's
`json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)` writes, so
the short script in the README checks an exported log without this package.

A head, `"<sequence>:<hash>"`, names one entry; every e-mail to the union representatives
carries the current one, so whoever kept an e-mail can later show that newer entries went.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import msgspec

GENESIS = "0" * 64
KINDS = frozenset(
    {
        "created",
        "document_sent",
        "protocol_edited",
        "sent",
        "confirmed",
        "disputed",
        "commented",
        "locked",
        "new_version",
    }
)
_HEX = frozenset("0123456789abcdef")


class Entry(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    sequence: int  # 1, 2, 3, … within one consultation
    consultation_id: int
    at: str  # UTC, "2027-03-25T09:30:00Z"
    actor: str  # who did it, as a label people read ("Kari Nordmann (Fagforbundet)")
    kind: str  # one of KINDS
    payload: dict[str, Any]  # what happened, as plain JSON (no floats)
    previous_hash: str
    hash: str


class Verdict(msgspec.Struct, frozen=True):
    ok: bool
    entries: int  # how many entries were read
    head: str | None  # the head of the entries read, when they hold together
    broken: int | None = None  # the sequence number of the first broken (or missing) entry
    reason: str = ""  # content_changed, link_broken, sequence_wrong, head_beyond_end, head_mismatch
    message: str = ""  # Norwegian, for the page, the API and the CLI


def append(
    previous: Entry | None,
    *,
    consultation_id: int,
    at: datetime,
    actor: str,
    kind: str,
    payload: Mapping[str, Any] | None = None,
) -> Entry:
    """The entry after `previous` (None: the consultation's first entry)."""
    if kind not in KINDS:
        raise ValueError(f"unknown log event kind {kind!r}")
    if not actor.strip():
        raise ValueError("a log entry needs an actor")
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"naive datetime {at!r}: log times must be timezone-aware")
    if previous is not None and previous.consultation_id != consultation_id:
        raise ValueError("a log entry must follow an entry of the same consultation")
    fields = {
        "sequence": 1 if previous is None else previous.sequence + 1,
        "consultation_id": consultation_id,
        "at": at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "actor": actor,
        "kind": kind,
        "payload": _plain(dict(payload or {}), "payload"),
        "previous_hash": GENESIS if previous is None else previous.hash,
    }
    return Entry(**fields, hash=entry_hash(fields))


def canonical(fields: Mapping[str, Any]) -> bytes:
    """The canonical JSON of an entry's fields (the caller leaves out `hash`)."""
    # msgspec writes exactly what the README's json.dumps call writes (tests hold it to that).
    return msgspec.json.encode(fields, order="sorted")


def entry_hash(fields: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical(fields)).hexdigest()


def head_of(entry: Entry) -> str:
    return f"{entry.sequence}:{entry.hash}"


def parse_head(head: str) -> tuple[int, str]:
    """`"<sequence>:<64 hex digits>"` as (sequence, hash); ValueError when it is not one."""
    sequence, _, digest = head.strip().partition(":")
    digest = digest.lower()
    if not sequence.isdigit() or int(sequence) < 1 or len(digest) != 64 or set(digest) - _HEX:
        raise ValueError(f"not a log head {head!r}: expected <sequence>:<64 hex digits>")
    return int(sequence), digest


def verify(entries: Sequence[Entry], head: str | None = None) -> Verdict:
    """Check the chain in order and name the first broken entry; then, if the caller kept a
    head (from an e-mail), check that the chain reaches it and holds the same hash there."""
    wanted = parse_head(head) if head is not None else None
    previous: Entry | None = None
    for position, entry in enumerate(entries, start=1):
        fields = msgspec.structs.asdict(entry)
        del fields["hash"]
        found = _broken_link(entry, entry_hash(fields), previous, position)
        if found is not None:
            reason, message = found
            return Verdict(False, position - 1, _head(previous), entry.sequence, reason, message)
        previous = entry
    count = len(entries)
    if wanted is None:
        return Verdict(True, count, _head(previous))
    sequence, digest = wanted
    if sequence > count:
        message = (
            f"Loggen slutter ved post {count}, men hodet du har er post {sequence} sitt: "
            f"post {count + 1}–{sequence} er fjernet."
        )
        return Verdict(False, count, _head(previous), count + 1, "head_beyond_end", message)
    if entries[sequence - 1].hash != digest:
        message = (
            f"Post {sequence} har en annen hash enn hodet du har: "
            f"loggen er skrevet om til og med post {sequence}."
        )
        return Verdict(False, count, _head(previous), sequence, "head_mismatch", message)
    return Verdict(True, count, _head(previous))


def _broken_link(
    entry: Entry, recomputed: str, previous: Entry | None, position: int
) -> tuple[str, str] | None:
    # Checked in this order by the README's script too, so both name the same entry and reason.
    if recomputed != entry.hash:
        return "content_changed", f"Post {entry.sequence} er endret: innholdet passer ikke hashen."
    if entry.previous_hash != (GENESIS if previous is None else previous.hash):
        if entry.sequence > position:
            gone = f"post {position}" + (
                f"–{entry.sequence - 1}" if entry.sequence > position + 1 else ""
            )
            return (
                "link_broken",
                f"Post {entry.sequence} peker ikke på posten foran: {gone} mangler.",
            )
        before = f"post {entry.sequence - 1}"
        return "link_broken", f"Post {entry.sequence} peker ikke på {before}: den er endret."
    if entry.sequence != position:
        return "sequence_wrong", f"Post {entry.sequence} står der post {position} skulle stå."
    return None


def _head(entry: Entry | None) -> str | None:
    return None if entry is None else head_of(entry)


def _plain(value: Any, where: str) -> Any:
    """A fresh copy of `value` as plain JSON; floats are refused (their digits vary by writer)."""
    if value is None or isinstance(value, str | int):  # bool is an int
        return value
    if isinstance(value, list | tuple):
        return [_plain(item, f"{where}[{index}]") for index, item in enumerate(value)]
    if isinstance(value, dict):
        if not all(isinstance(key, str) for key in value):
            raise ValueError(f"{where}: JSON object keys must be strings")
        return {key: _plain(item, f"{where}.{key}") for key, item in value.items()}
    raise ValueError(f"{where}: {type(value).__name__} is not allowed in a log entry")


def export_json(entries: Sequence[Entry]) -> bytes:
    """The downloadable log: a JSON list of entries with every field, indented for reading."""
    return msgspec.json.format(msgspec.json.encode(list(entries)), indent=2) + b"\n"


def load_json(data: bytes) -> list[Entry]:
    """Entries from an exported log; ValueError (msgspec's) when it is not one."""
    return msgspec.json.decode(data, type=list[Entry])
