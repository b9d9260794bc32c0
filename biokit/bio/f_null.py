"""PLACEHOLDER: replaced by the real implementation."""

from biokit.bio.core import BIO


class NullFilterBIO(BIO):
    def __init__(self, *args: object, **kwargs: object) -> None:
        raise NotImplementedError("NullFilterBIO is not written yet")
