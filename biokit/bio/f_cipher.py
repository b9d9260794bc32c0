"""PLACEHOLDER: replaced by the real implementation."""

from biokit.bio.core import BIO


class CipherBIO(BIO):
    def __init__(self, *args: object, **kwargs: object) -> None:
        raise NotImplementedError("CipherBIO is not written yet")
