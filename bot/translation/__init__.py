"""Offline machine translation: drafts for translators, never published unreviewed.

One room (issue 17): `service.Translator` lists installed pairs and drafts a translation on
argostranslate (CTranslate2 + SentencePiece, no torch), pivoting through English when there is
no direct pair; `protect` keeps numbers, URLs, names and Markdown exactly as written;
`packaging` installs `.argosmodel` files and turns OPUS-MT Marian models into them; `cli` is
`python -m bot translate ...`. Nothing here downloads anything.
"""

from bot.translation.protect import Glossary, SpanLost
from bot.translation.service import Draft, Pair, PairUnavailable, Translator

__all__ = ["Draft", "Glossary", "Pair", "PairUnavailable", "SpanLost", "Translator"]
