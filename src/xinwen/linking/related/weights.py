"""How much each signal of a related-article ranking counts (see the package's text)."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, fields

from xinwen.errors import QueryError

WEIGHTS_ENV = "XINWEN_RELATED_WEIGHTS"


@dataclass
class RelatedWeights:
    """How much each signal counts, and the constants that shape them (see the module text)."""

    lexical: float = 0.45
    dense: float = 0.45
    tags: float = 0.30
    topics: float = 2.0
    recency: float = 0.05
    section: float = 0.05
    section_min: int = 5
    recency_days: float = 30.0
    dense_from: int = 10
    dense_terms: int = 40
    candidates: int = 100
    feedback: float = 1.0
    feedback_k: int = 10

    @classmethod
    def parse(cls, text: str | None) -> RelatedWeights:
        """Defaults overridden by "name=value,name=value" (e.g. "lexical=0.6,tags=0")."""
        weights = cls()
        names = {f.name: f.type for f in fields(cls)}
        for part in (text or "").split(","):
            if not part.strip():
                continue
            name, _, value = part.partition("=")
            name = name.strip()
            if name not in names:
                raise QueryError(f"unknown related weight {name!r}; known: {', '.join(names)}")
            try:
                number = float(value)
            except ValueError:
                raise QueryError(f"related weight {name} needs a number, not {value.strip()!r}") from None
            if not math.isfinite(number) or number < 0:
                raise QueryError(f"related weight {name} must be a finite number >= 0, not {value.strip()}")
            setattr(weights, name, int(number) if names[name] == "int" else number)
        weights.candidates = max(1, weights.candidates)
        weights.dense_terms = max(weights.dense_from + 1, weights.dense_terms)
        return weights

    @classmethod
    def default(cls) -> RelatedWeights:
        return cls.parse(os.environ.get(WEIGHTS_ENV))
