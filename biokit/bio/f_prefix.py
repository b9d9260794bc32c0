"""PLACEHOLDER: replaced by the real implementation."""

from biokit.bio.core import BIO


class PrefixBIO(BIO):
    def __init__(self, *args: object, **kwargs: object) -> None:
        raise NotImplementedError("PrefixBIO is not written yet")
