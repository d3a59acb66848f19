"""Judging the codes and tokens a vendor issues: their alphabet and their entropy, and codes never issued.

Entropy is estimated from outside, from samples: only what varies between tokens can be secret. A
token that looks long (a UUID, a JWT, a prefix and a timestamp) but varies in a few characters
carries few bits, whatever its length; a keyed hash or a signature looks random and is credited as
random, which is right for guessing (nobody can forge one without the key).
"""

from __future__ import annotations

import base64
import binascii
import math
import re
import secrets

# The base-20 alphabet of user codes (RFC 8628 §6.1): consonants only, no vowels to spell words with.
BASE20 = set("BCDFGHJKLMNPQRSTVWXZ")
# A character position that is the same in every sample is taken as fixed only when chance
# agreement is this unlikely (so two samples of a random token never lose bits by bad luck).
CHANCE_AGREEMENT = 1e-6
_B64_RUN = re.compile(r"[A-Za-z0-9_\-+/]{8,}")
_HEX_RUN = re.compile(r"[0-9A-Fa-f]{16,}")


def _alphabet_size(chars: set[str]) -> int:
    if chars <= set("0123456789"):
        return 10
    if chars <= set("0123456789abcdef") or chars <= set("0123456789ABCDEF"):
        return 16
    if chars <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567="):
        return 32
    return 64


def entropy_bits(samples: list[str]) -> float:
    """A conservative estimate of the entropy of one token, from tokens issued one after another.

    Characters shared by every sample (a prefix, a suffix, fixed positions such as a UUID's version
    digit or a JWT header) carry nothing; each varying position carries at most log2 of the alphabet
    the varying characters are drawn from.
    """
    samples = [s.rstrip("=") for s in samples if isinstance(s, str)]
    if not samples:
        return 0.0
    shortest = min(len(s) for s in samples)
    size = _alphabet_size(set("".join(samples)))
    if size ** -(len(samples) - 1) >= CHANCE_AGREEMENT:
        return shortest * math.log2(size)  # too few samples to tell fixed parts from chance
    if len(set(samples)) == 1:
        return 0.0
    prefix = len(_common_prefix(samples))
    suffix = len(_common_prefix([s[prefix:][::-1] for s in samples]))
    middles = [s[prefix : len(s) - suffix] for s in samples]
    if len({len(m) for m in middles}) > 1:
        # Lengths differ: positions do not line up; credit the shortest varying part in full.
        return min(len(m) for m in middles) * math.log2(_alphabet_size(set("".join(middles))))
    varying = [column for column in zip(*middles, strict=True) if len(set(column)) > 1]
    return len(varying) * math.log2(_alphabet_size(set().union(*map(set, varying))))


def _common_prefix(strings: list[str]) -> str:
    first, last = min(strings), max(strings)
    n = 0
    while n < min(len(first), len(last)) and first[n] == last[n]:
        n += 1
    return first[:n]


def _bare(text: str) -> str:
    return "".join(ch for ch in text.upper() if ch.isascii() and ch.isalnum())


def _decodings(token: str) -> list[str]:
    """What a token may carry in encoded form: its base64/base64url runs (at every alignment, so a
    plain prefix such as ``dsra_`` does not hide them) and hex runs, read as text."""
    views = []
    for run in _B64_RUN.findall(token):
        std = run.replace("-", "+").replace("_", "/")
        for start in range(4):
            part = std[start:]
            part = part[: len(part) - len(part) % 4]
            try:
                views.append(base64.b64decode(part, validate=True).decode("latin-1"))
            except (binascii.Error, ValueError):
                continue
    for run in _HEX_RUN.findall(token):
        for start in range(2):
            part = run[start:]
            views.append(bytes.fromhex(part[: len(part) - len(part) % 2]).decode("latin-1"))
    return views


def embeds_code(token: str, code: str) -> bool:
    """Whether ``token`` carries ``code`` (any case, dashes ignored), plainly or base64/hex-encoded:
    a token that embeds the code the TV shows is only as secret as that code."""
    needle = _bare(code)
    if len(needle) < 4 or not isinstance(token, str):
        return False
    return any(needle in _bare(view) for view in [token, *_decodings(token)])


def code_alphabet_ok(code: str) -> tuple[bool, str]:
    """At least 8 base-20 characters (dash/space ignored) or at least 9 digits."""
    if not isinstance(code, str):
        return False, f"a JSON {type(code).__name__}, not a string"
    bare = re.sub(r"[-\s]", "", code)
    if bare.isdigit():
        return len(bare) >= 9, f"{len(bare)} digits"
    bad = sorted(set(bare.upper()) - BASE20)
    return len(bare) >= 8 and not bad, f"{len(bare)} characters, outside base-20: {''.join(bad) or 'none'}"


def never_issued(code: str) -> str:
    """A well-formed code (same length and alphabet class) that was never issued."""
    bare = "".join(ch for ch in code if ch.isalnum())
    alphabet = "0123456789" if bare.isdigit() else "".join(sorted(BASE20))
    return "".join(secrets.choice(alphabet) for _ in bare)


def wrong_code(user_code: str) -> str:
    """A code never issued, typed like ``user_code`` (split by a dash when it is)."""
    code = never_issued(user_code)
    return f"{code[: len(code) // 2]}-{code[len(code) // 2 :]}" if "-" in user_code else code


def typed_variants(user_code: str) -> list[tuple[str, str]]:
    """How a person may type ``user_code`` that RFC 8628 §6.1 says the server should still match:
    in the other case (lower and upper) and without the dashes it added; never the code as issued.
    Each is (how it was typed, in words: the code itself is a secret; the typed text)."""
    bare = user_code.replace("-", "")
    forms = [
        ("in lower case", user_code.lower()),
        ("in upper case", user_code.upper()),
        ("without dashes", bare),
        ("without dashes, in lower case", bare.lower()),
        ("without dashes, in upper case", bare.upper()),
    ]
    seen = {user_code}
    out = []
    for how, typed in forms:
        if typed not in seen:
            seen.add(typed)
            out.append((how, typed))
    return out
