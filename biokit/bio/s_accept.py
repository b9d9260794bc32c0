"""PLACEHOLDER: replaced by the real implementation."""

from biokit.bio.core import BIO


class AcceptBIO(BIO):
    def __init__(self, *args: object, **kwargs: object) -> None:
        raise NotImplementedError("AcceptBIO is not written yet")
