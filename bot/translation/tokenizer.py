"""OPUS-MT's two SentencePiece models inside argostranslate.

Why: an argos package has one `sentencepiece.model` that both encodes the source and decodes
the target; OPUS-MT ships `source.spm` and `target.spm`, trained on each language apart, and
decoding Kreyòl pieces with the English model turns them into "⁇". `package-opus-mt` stores
source.spm as `sentencepiece.model` (so argos and any other argos tool still load the
package) and target.spm as `target_sentencepiece.model`; `service` gives such a package this
tokenizer, which encodes with the first and decodes with the second.
"""

from __future__ import annotations

from pathlib import Path

from argostranslate.tokenizer import SentencePieceTokenizer

SOURCE_SPM = "sentencepiece.model"
TARGET_SPM = "target_sentencepiece.model"


class SourceTargetTokenizer(SentencePieceTokenizer):
    def __init__(self, source_model: Path, target_model: Path) -> None:
        super().__init__(source_model)
        self.target = SentencePieceTokenizer(target_model)

    def decode(self, tokens: list[str]) -> str:
        return self.target.decode(tokens)


def tokenizer_for(package_path: Path) -> SourceTargetTokenizer | None:
    """The two-model tokenizer when the package has a target model, else None (argos's own)."""
    target = package_path / TARGET_SPM
    if not target.exists():
        return None
    return SourceTargetTokenizer(package_path / SOURCE_SPM, target)
