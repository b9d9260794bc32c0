"""PLACEHOLDER: replaced by the real implementation."""

from biokit.bio.core import BIO


class NullBIO(BIO):
    def __init__(self, *args: object, **kwargs: object) -> None:
        raise NotImplementedError("NullBIO is not written yet")
