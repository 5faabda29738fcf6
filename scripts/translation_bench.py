"""Machine-translation benchmark: characters per second and peak memory drafting the seed.

    .venv/bin/python scripts/translation_bench.py                      # the tiny test models
    .venv/bin/python scripts/translation_bench.py --packages-dir var/translation/packages \
        --source en --target ht                                       # a partner's real model

Every item of content/*.yml (title and body) in the source language goes through
`Translator.translate`, the path the workspace uses: protected spans masked, each line
translated, spans checked and restored. Without --packages-dir the tiny random models of
scripts/translation/tiny_models.py are built and installed in a temporary folder first; their
speed says what the plumbing costs, not what a real model costs (docs/translation.md).
Results go to docs/benchmarks.md by hand.
"""

from __future__ import annotations

import argparse
import contextlib
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

import yaml  # noqa: E402

from bot.translation import SpanLost, Translator  # noqa: E402


def seed_items(language: str, content_dir: Path) -> list[str]:
    """Title and body of every seed item in one language, as one text each."""
    texts = []
    for path in sorted(content_dir.glob("*.yml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for item in document.get("items") or []:
            variant = (item.get("variants") or {}).get(language) or {}
            text = "\n".join(str(variant.get(f) or "").strip() for f in ("title", "body"))
            if text.strip():
                texts.append(text.strip())
    return texts


def peak_memory_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def run(translator: Translator, texts: list[str], source: str, target: str) -> dict:
    route = " + ".join(p.package for p in translator.route(source, target))
    # The first call loads the model: timed apart, as a partner's first draft of the day is.
    started = time.perf_counter()
    with contextlib.suppress(SpanLost):
        translator.translate("Load the model.", source, target)
    load_seconds = time.perf_counter() - started
    drafts = refused = 0
    started = time.perf_counter()
    for text in texts:
        try:
            translator.translate(text, source, target)
            drafts += 1
        except SpanLost:
            refused += 1
    seconds = time.perf_counter() - started
    characters = sum(len(text) for text in texts)
    return {
        "route": route,
        "items": len(texts),
        "characters": characters,
        "seconds": seconds,
        "chars_per_second": characters / seconds,
        "load_seconds": load_seconds,
        "drafts": drafts,
        "refused": refused,
        "peak_mib": peak_memory_mib(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packages-dir", type=Path, help="installed packages (default: tiny)")
    parser.add_argument("--source", default="en")
    parser.add_argument("--target", default="fr")
    parser.add_argument("--content-dir", type=Path, default=REPO_ROOT / "content")
    args = parser.parse_args(argv)
    texts = seed_items(args.source, args.content_dir)
    with tempfile.TemporaryDirectory() as work:
        if args.packages_dir is None:
            from bot.translation.packaging import package_opus_mt
            from scripts.translation import tiny_models

            translator = Translator(Path(work) / "packages")
            assets = tiny_models.build_all(Path(work) / "assets")
            en_ht = package_opus_mt(
                assets["opus_en_ht"], Path(work) / "en_ht.argosmodel", "en", "ht"
            )
            for package in (assets["en_fr"], assets["fr_en"], en_ht):
                translator.install(package)
        else:
            translator = Translator(args.packages_dir)
        result = run(translator, texts, args.source, args.target)
    print(
        f"machine: {platform.machine()}, {platform.python_implementation()} "
        f"{platform.python_version()}"
    )
    print(f"model: {result['route']} ({args.source}→{args.target})")
    print(f"seed items: {result['items']}, {result['characters']} characters")
    print(f"first call (loads the model): {result['load_seconds']:.2f} s")
    print(f"translated in {result['seconds']:.2f} s: {result['chars_per_second']:.0f} characters/s")
    print(f"drafts: {result['drafts']}, refused for a lost protected span: {result['refused']}")
    print(f"peak memory (max RSS of the process): {result['peak_mib']:.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
