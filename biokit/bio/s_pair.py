"""PLACEHOLDER: replaced by the real implementation."""

from biokit.bio.core import BIO


class PairBIO(BIO):
    def __init__(self, *args: object, **kwargs: object) -> None:
        raise NotImplementedError("PairBIO is not written yet")
def bio_pair(size1: int = 0, size2: int = 0) -> tuple[PairBIO, PairBIO]:
    raise NotImplementedError
