"""The password policy for new accounts: long enough, not a common one, not the email.

It judges new passwords only: signing in with an older one is the sign-in's business.
"""

from __future__ import annotations

import string
from functools import cache
from importlib import resources

MIN_LENGTH = 10
# "aaaaaaaaaa", "1212121212", ten spaces: long, and guessed first.
_MIN_DISTINCT_CHARACTERS = 4
# Shorter local parts ("al" of al@example.com) are in too many good passwords to refuse them.
_MIN_LOCAL_PART = 3
# Stripped from both ends before the list is consulted: "dragon2024!" is still "dragon".
_DECORATION = string.digits + string.punctuation

# One wording for every refusal, on purpose: registering an existing email with another
# password answers exactly this too, so the answer does not tell whether the email has an
# account (docs/accounts_and_profiles.md, "Registration").
REFUSED = (
    f"Choose another password: at least {MIN_LENGTH} characters, not a commonly used one and "
    "not containing your email address. If this email already has an account, sign in instead."
)


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list (auth/common-passwords.txt), read once."""
    text = resources.files("auth").joinpath("common-passwords.txt").read_text("utf-8")
    return frozenset(
        line for line in (raw.strip() for raw in text.splitlines()) if line and line[0] != "#"
    )


def is_common(password: str) -> bool:
    """On the list, ignoring letter case, spaces and digits or symbols around it."""
    squashed = "".join(password.lower().split())
    listed = common_passwords()
    return squashed in listed or squashed.strip(_DECORATION) in listed


def contains_email(password: str, email: str) -> bool:
    lowered, address = password.lower(), email.lower()
    local_part = address.partition("@")[0]
    return address in lowered or (len(local_part) >= _MIN_LOCAL_PART and local_part in lowered)


def acceptable(password: str, email: str) -> bool:
    """Whether a new account may use this password. (``passwords.MAX_LENGTH`` is checked
    apart: that limit protects the server and says nothing about any account.)"""
    return (
        len(password) >= MIN_LENGTH
        and len(set(password.lower())) >= _MIN_DISTINCT_CHARACTERS
        and not is_common(password)
        and not contains_email(password, email)
    )
