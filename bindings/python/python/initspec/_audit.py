"""The result of :func:`initspec.audit`."""

from __future__ import annotations

from typing import Any, Dict, List


class Audit:
    """One tensor's audit: the fields of ``initspec audit --json`` as attributes.

    ``verdict`` is ``"pass"`` or ``"fail"``; ``law`` the exact law tested; ``checks`` a list of
    dicts (``name``, ``statistic``, ``p_value``, ``pass``, ``detail``, ...); ``summary`` the
    verdict in words; ``variance`` the observed variance against the law's (with its 99.9 %
    interval); ``report`` the text report; :meth:`to_dict` the JSON as a dict.
    """

    def __init__(self, fields: Dict[str, Any], report: str) -> None:
        self._fields = fields
        self.report: str = report

    @property
    def verdict(self) -> str:
        return self._fields["verdict"]

    @property
    def passed(self) -> bool:
        return self._fields["verdict"] == "pass"

    @property
    def law(self) -> str:
        return self._fields["law"]

    @property
    def scheme(self) -> str:
        return self._fields["scheme"]

    @property
    def checks(self) -> List[Dict[str, Any]]:
        return self._fields["checks"]

    @property
    def summary(self) -> str:
        return self._fields["summary"]

    @property
    def alpha(self) -> float:
        return self._fields["alpha"]

    @property
    def shape(self) -> List[int]:
        return self._fields["shape"]

    @property
    def dtype(self) -> str:
        return self._fields["dtype"]

    @property
    def n(self) -> int:
        return self._fields["n"]

    @property
    def variance(self) -> Any:
        return self._fields.get("variance")

    @property
    def resembles(self) -> Any:
        return self._fields.get("resembles")

    def to_dict(self) -> Dict[str, Any]:
        """The audit as ``initspec audit --json`` prints it for one tensor (without ``file``
        and ``tensor``)."""
        return dict(self._fields)

    def __bool__(self) -> bool:
        return self.passed

    def __repr__(self) -> str:
        return f"Audit(verdict={self.verdict!r}, law={self.law!r}, summary={self.summary!r})"

    def __str__(self) -> str:
        return self.report
