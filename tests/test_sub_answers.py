"""The sub-answer said for a message: the best one of the topic DIET chose, else its card."""

from __future__ import annotations

from actions.sub_answers import chosen_sub_answer


def parse(intent: str, *ranking: tuple[str, float]) -> dict:
    ranked = [{"intent_response_key": key, "confidence": c} for key, c in ranking]
    return {"intent": {"name": intent}, "response_selector": {"default": {"ranking": ranked}}}


def test_the_best_sub_answer_of_the_chosen_topic_is_said():
    # children/school ranks first overall, but DIET chose health: the best health sub wins.
    said = parse("health", ("children/school", 0.5), ("health/pregnancy", 0.4))
    assert chosen_sub_answer(said) == "health/pregnancy"


def test_an_unsure_sub_answer_gives_the_topics_card():
    assert chosen_sub_answer(parse("health", ("health/pregnancy", 0.2))) == "health/general"


def test_a_tapped_button_has_no_ranking_and_gets_the_topics_card():
    assert chosen_sub_answer({"intent": {"name": "children"}}) == "children/general"
