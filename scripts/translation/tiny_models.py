"""Tiny, real translation models built offline from the seed content, for tests and the benchmark.

Why: no registry ships argos language models and the machines that run the tests have no
network, yet the install, packaging and translate code paths must run for real. These models
are real files of the real formats (SentencePiece, Marian .npz, CTranslate2, .argosmodel) with
random weights: their output is gibberish, the plumbing is real.

    .venv/bin/python -m scripts.translation.tiny_models OUT_DIR

writes into OUT_DIR:
  translate-en_fr.argosmodel, translate-fr_en.argosmodel  argos packages: one SentencePiece model
                                                          trained on both languages' seed text
  opus-mt-en-ht/                                          an OPUS-MT-shaped Marian directory:
                                                          decoder.yml, model .npz, vocab .yml,
                                                          source.spm (en) and target.spm (ht)
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import sentencepiece as spm
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
CONTENT_DIR = REPO_ROOT / "content"

# Small enough to build in about a second, large enough to be a transformer of every part.
DIM = 16
FFN_DIM = 32
HEADS = 2
VOCAB_SIZE = 160
# Marian's own vocabulary convention: </s> is 0 and <unk> is 1.
MARIAN_SPECIALS = ["</s>", "<unk>"]
# A random decoder seldom picks </s>; this logit bias ends a "sentence" after a few tokens.
EOS_BIAS = 5.0
EMBEDDING_SCALE = 0.5


def seed_texts(language: str, content_dir: Path = CONTENT_DIR) -> list[str]:
    """Every title and body line of the seed content in one language."""
    lines: list[str] = []
    for path in sorted(content_dir.glob("*.yml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for item in document.get("items") or []:
            variant = (item.get("variants") or {}).get(language) or {}
            for field in ("title", "body"):
                lines.extend(line.strip() for line in str(variant.get(field) or "").splitlines())
    return [line for line in lines if line]


def train_sentencepiece(texts: Iterable[str], vocab_size: int = VOCAB_SIZE) -> bytes:
    """A SentencePiece unigram model trained in memory (bytes of a .model/.spm file)."""
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(list(texts)),
        model_writer=model,
        vocab_size=vocab_size,
        hard_vocab_limit=False,
        character_coverage=1.0,
        num_threads=1,
        minloglevel=2,
    )
    return model.getvalue()


def pieces(model: bytes) -> list[str]:
    processor = spm.SentencePieceProcessor(model_proto=model)
    return [processor.id_to_piece(i) for i in range(processor.get_piece_size())]


def marian_vocabulary(*models: bytes) -> list[str]:
    """One joint vocabulary over the SentencePiece models, as OPUS-MT's .vocab.yml has."""
    vocabulary = list(MARIAN_SPECIALS)
    for model in models:
        for piece in pieces(model):
            if piece not in vocabulary and piece not in ("<s>",):
                vocabulary.append(piece)
    return vocabulary


def write_marian_vocabulary(vocabulary: list[str], path: Path) -> None:
    lines = [f"{json.dumps(token, ensure_ascii=False)}: {i}" for i, token in enumerate(vocabulary)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _linear(rng: np.random.Generator, name: str, inputs: int, outputs: int) -> dict:
    scale = 1 / np.sqrt(inputs)
    return {
        f"{name}_W": (rng.standard_normal((inputs, outputs)) * scale).astype(np.float32),
        f"{name}_b": np.zeros((1, outputs), dtype=np.float32),
    }


def _attention(rng: np.random.Generator, scope: str) -> dict:
    weights: dict = {}
    for part in ("q", "k", "v", "o"):
        linear = _linear(rng, scope, DIM, DIM)
        weights[f"{scope}_W{part}"] = linear[f"{scope}_W"]
        weights[f"{scope}_b{part}"] = linear[f"{scope}_b"]
    weights.update(_layer_norm(f"{scope}_Wo"))
    return weights


def _ffn(rng: np.random.Generator, scope: str) -> dict:
    first = _linear(rng, scope, DIM, FFN_DIM)
    second = _linear(rng, scope, FFN_DIM, DIM)
    return {
        f"{scope}_W1": first[f"{scope}_W"],
        f"{scope}_b1": first[f"{scope}_b"],
        f"{scope}_W2": second[f"{scope}_W"],
        f"{scope}_b2": second[f"{scope}_b"],
        **_layer_norm(f"{scope}_ffn"),
    }


def _layer_norm(scope: str) -> dict:
    return {
        f"{scope}_ln_scale": np.ones((1, DIM), dtype=np.float32),
        f"{scope}_ln_bias": np.zeros((1, DIM), dtype=np.float32),
    }


MARIAN_CONFIG = {
    "type": "transformer",
    "enc-depth": 1,
    "dec-depth": 1,
    "dim-emb": DIM,
    "transformer-dim-ffn": FFN_DIM,
    "transformer-heads": HEADS,
    "transformer-decoder-autoreg": "self-attention",
    "transformer-no-projection": False,
    "transformer-ffn-activation": "swish",
    "transformer-preprocess": "",
    "transformer-postprocess": "dan",
    "transformer-postprocess-emb": "d",
    "transformer-guided-alignment-layer": "last",
    "tied-embeddings-all": True,
}


def random_marian_weights(vocabulary_size: int, seed: int = 17) -> dict:
    """A post-norm Marian transformer (OPUS-MT's architecture) with random weights and tied
    embeddings, named as Marian names them in its .npz."""
    rng = np.random.default_rng(seed)
    config = yaml.safe_dump(MARIAN_CONFIG).encode("utf-8") + b"\0"
    bias = np.zeros((1, vocabulary_size), dtype=np.float32)
    bias[0, MARIAN_SPECIALS.index("</s>")] = EOS_BIAS
    return {
        "special:model.yml": np.frombuffer(config, dtype=np.int8),
        "Wemb": (rng.standard_normal((vocabulary_size, DIM)) * EMBEDDING_SCALE).astype(np.float32),
        **_attention(rng, "encoder_l1_self"),
        **_ffn(rng, "encoder_l1_ffn"),
        **_attention(rng, "decoder_l1_self"),
        **_attention(rng, "decoder_l1_context"),
        **_ffn(rng, "decoder_l1_ffn"),
        "decoder_ff_logit_out_b": bias,
    }


def write_opus_mt_directory(target: Path, source_spm: bytes, target_spm: bytes) -> Path:
    """An OPUS-MT release's layout: decoder.yml naming the .npz and the (joint) vocabulary
    twice, source.spm and target.spm."""
    target.mkdir(parents=True, exist_ok=True)
    vocabulary = marian_vocabulary(source_spm, target_spm)
    model_name = "opus.spm-spm.transformer-align.model1.npz.best-perplexity.npz"
    vocab_name = "opus.spm-spm.vocab.yml"
    np.savez(target / model_name, **random_marian_weights(len(vocabulary)))
    write_marian_vocabulary(vocabulary, target / vocab_name)
    (target / "source.spm").write_bytes(source_spm)
    (target / "target.spm").write_bytes(target_spm)
    decoder = {
        "models": [model_name],
        "vocabs": [vocab_name, vocab_name],
        "beam-size": 4,
        "normalize": 0.6,
        "relative-paths": True,
    }
    (target / "decoder.yml").write_text(yaml.safe_dump(decoder), encoding="utf-8")
    (target / "README.md").write_text(
        "Tiny random OPUS-MT-shaped model for tests (scripts/translation/tiny_models.py).\n",
        encoding="utf-8",
    )
    return target


def build_opus_mt(target: Path, source: str = "en", target_language: str = "ht") -> Path:
    return write_opus_mt_directory(
        target,
        train_sentencepiece(seed_texts(source)),
        train_sentencepiece(seed_texts(target_language)),
    )


def build_argosmodel(out: Path, source: str, target: str, version: str = "0.1") -> Path:
    """A plain argos package (one sentencepiece.model for both sides): a Marian directory with
    the same SentencePiece model on both sides, through the same packager partners use."""
    from bot.translation.packaging import package_opus_mt

    shared = train_sentencepiece(seed_texts(source) + seed_texts(target))
    with tempfile.TemporaryDirectory() as work:
        marian = write_opus_mt_directory(Path(work) / "marian", shared, shared)
        return package_opus_mt(marian, out, source, target, version=version)


def build_all(out_dir: Path) -> dict[str, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    return {
        "en_fr": build_argosmodel(out_dir / "translate-en_fr.argosmodel", "en", "fr"),
        "fr_en": build_argosmodel(out_dir / "translate-fr_en.argosmodel", "fr", "en"),
        "opus_en_ht": build_opus_mt(out_dir / "opus-mt-en-ht", "en", "ht"),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path)
    args = parser.parse_args(argv)
    for name, path in build_all(args.out_dir).items():
        print(f"{name}\t{path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
