"""PLACEHOLDER: replaced by the real implementation."""

from biokit.bio.core import BIO


class FileBIO(BIO):
    def __init__(self, *args: object, **kwargs: object) -> None:
        raise NotImplementedError("FileBIO is not written yet")
