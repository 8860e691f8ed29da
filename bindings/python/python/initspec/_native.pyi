"""Type hints of the compiled module ``initspec._native`` (src/lib.rs). Memory is passed by
address; use the checked wrappers in :mod:`initspec` instead of calling these directly."""

from typing import List, Optional, Sequence, Tuple

__version__: str

def law(scheme: str, shape: Sequence[int], layout: str = "out-in", groups: int = 1) -> str: ...
def fill(
    address: int,
    nbytes: int,
    dtype: str,
    scheme: str,
    shape: Sequence[int],
    block: Optional[List[Tuple[int, int]]],
    seed: int,
    name: str,
    layout: str,
    groups: int,
    allow_lossy_dtype: bool,
) -> Optional[str]: ...
def audit(
    address: int,
    nbytes: int,
    dtype: str,
    shape: Sequence[int],
    scheme: str,
    layout: str,
    groups: int,
    alpha: float,
) -> Tuple[str, str]: ...
def identify(
    address: int, nbytes: int, dtype: str, shape: Sequence[int], layout: str, groups: int
) -> str: ...
