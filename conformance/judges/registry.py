"""The judges a run can use, registered explicitly (no plugin lookup by name or file).

``refusal`` needs nothing and is always there; ``keywords`` needs a keyword library, ``model`` a
judge endpoint, ``human`` an annotations file: the pipeline builds those it has the inputs for.
"""

from __future__ import annotations

from conformance.judges.human import HumanJudge
from conformance.judges.keywords import KeywordJudge
from conformance.judges.model import ModelJudge
from conformance.judges.refusal import RefusalJudge

JUDGES: dict[str, type] = {
    RefusalJudge.id: RefusalJudge,
    KeywordJudge.id: KeywordJudge,
    ModelJudge.id: ModelJudge,
    HumanJudge.id: HumanJudge,
}
