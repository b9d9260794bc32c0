"""PLACEHOLDER: replaced by the real implementation."""

from biokit.bio.core import BIO


class Base64BIO(BIO):
    def __init__(self, *args: object, **kwargs: object) -> None:
        raise NotImplementedError("Base64BIO is not written yet")
