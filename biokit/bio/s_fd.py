"""PLACEHOLDER: replaced by the real implementation."""

from biokit.bio.core import BIO


class FdBIO(BIO):
    def __init__(self, *args: object, **kwargs: object) -> None:
        raise NotImplementedError("FdBIO is not written yet")
