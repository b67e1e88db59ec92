"""If-Match (RFC 9110 13.1.1): which stored versions a client's entity tags can match.

Our ETags are strong, `"<version>"` with the version in decimal without leading zeros.
Entity tags compare as strings under the strong comparison, so `"01"` is not `"1"` and a
weak tag (`W/"1"`) never matches. A list matches when any of its tags does.
"""

from __future__ import annotations

import re

# entity-tag = [ W/ ] DQUOTE *etagc DQUOTE; etagc = %x21 / %x23-7E / obs-text. Starlette
# decodes header bytes as latin-1, so obs-text arrives as \x80-\xff. Commas are etagc too:
# a list is split by the grammar, never by str.split(",").
_ENTITY_TAG = re.compile(r'(W/)?"([\x21\x23-\x7e\x80-\xff]*)"')
_SEPARATOR = re.compile(r"[ \t]*(?:,[ \t]*)*")  # OWS and empty list elements
_VERSION = re.compile(r"[1-9][0-9]{0,17}")  # what etag() writes; 18 digits fit an int64


def entity_tags(value: str) -> list[tuple[bool, str]] | None:
    """The (weak, opaque-tag) pairs of an entity-tag list; None when it does not parse."""
    tags: list[tuple[bool, str]] = []
    separator = _SEPARATOR.match(value)
    pos = separator.end() if separator else 0
    while pos < len(value):
        tag = _ENTITY_TAG.match(value, pos)
        if tag is None:
            return None
        tags.append((tag[1] is not None, tag[2]))
        separator = _SEPARATOR.match(value, tag.end())
        end = separator.end() if separator else tag.end()
        if end < len(value) and "," not in value[tag.end() : end]:
            return None  # two tags without a comma between them
        pos = end
    return tags


def if_match_versions(header: str | None) -> frozenset[int] | None:
    """None when any version will do (no If-Match, or `*`); otherwise the versions the
    header's tags can match, empty when none can (malformed, weak or not one of ours)."""
    if header is None or header.strip(" \t") == "*":
        return None
    tags = entity_tags(header) or []
    return frozenset(int(tag) for weak, tag in tags if not weak and _VERSION.fullmatch(tag))
