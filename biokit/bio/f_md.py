"""PLACEHOLDER: replaced by the real implementation."""

from biokit.bio.core import BIO


class DigestBIO(BIO):
    def __init__(self, *args: object, **kwargs: object) -> None:
        raise NotImplementedError("DigestBIO is not written yet")
