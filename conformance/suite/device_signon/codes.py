"""Judging the codes and tokens a vendor issues: their alphabet and their entropy, and codes never issued."""

from __future__ import annotations

import math
import re
import secrets

# The base-20 alphabet of user codes (RFC 8628 §6.1): consonants only, no vowels to spell words with.
BASE20 = set("BCDFGHJKLMNPQRSTVWXZ")


def entropy_bits(samples: list[str]) -> float:
    """A conservative estimate of the entropy of one token: length x log2(observed alphabet class)."""
    if not samples:
        return 0.0
    chars = set("".join(samples))
    if chars <= set("0123456789"):
        size = 10
    elif chars <= set("0123456789abcdef") or chars <= set("0123456789ABCDEF"):
        size = 16
    elif chars <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567="):
        size = 32
    else:
        size = 64
    return min(len(s.rstrip("=")) for s in samples) * math.log2(size)


def code_alphabet_ok(code: str) -> tuple[bool, str]:
    """At least 8 base-20 characters (dash/space ignored) or at least 9 digits."""
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
