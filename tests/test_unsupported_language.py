"""A confident message in a language the detector knows but the assistant does not speak."""

from __future__ import annotations

import pytest

from bot.langid import Detection
from bot.pipeline.language import is_unsupported

SUPPORTED = ["en", "fr", "ht"]


@pytest.mark.parametrize(
    ("detection", "expected"),
    [
        (Detection("es", 0.9995, 6), True),
        (Detection("es", 0.999, 2), False),  # "la persona" could be French: not enough
        (Detection("es", 0.6, 5), False),  # unsure: let Rasa try
        (Detection("ht", 0.99, 5), False),
        (Detection(None, 0.0, 0), False),
    ],
)
def test_unsupported_only_when_confident(detection, expected):
    assert is_unsupported(detection, SUPPORTED) is expected


def test_prose_reaches_rasa_folded_and_payloads_untouched():
    from bot.pipeline.text import for_nlu

    assert for_nlu("Yo pran PASPÒ m") == "yo pran paspo m"
    assert for_nlu('/change_language{"language": "ht"}') == '/change_language{"language": "ht"}'
