"""Which sub-answer to say: a rule with no dependencies, so the action server and the
evaluation script (scripts/nlu_sub_eval.py, run in Rasa's own environment) share it."""

from __future__ import annotations

from typing import Any

# A sub-answer is said only when the ResponseSelector is this sure of it among the sub-answers
# of the topic DIET chose; below it the topic's general card is the honest answer.
SUB_ANSWER_MIN_CONFIDENCE = 0.3
GENERAL = "general"


def chosen_sub_answer(parse_data: dict[str, Any]) -> str:
    """ "health/pregnancy" for the message's intent: the best-ranked sub-answer of that intent
    (one ResponseSelector ranks the sub-answers of every topic), else "health/general"."""
    intent = str((parse_data.get("intent") or {}).get("name") or "")
    selector = (parse_data.get("response_selector") or {}).get("default") or {}
    for ranked in selector.get("ranking") or []:
        key = str(ranked.get("intent_response_key") or "")
        if key.startswith(f"{intent}/"):
            if float(ranked.get("confidence") or 0.0) >= SUB_ANSWER_MIN_CONFIDENCE:
                return key
            break
    return f"{intent}/{GENERAL}"
