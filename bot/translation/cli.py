"""`python -m bot translate ...`: install, list and make translation packages.

  translate list                          installed pairs with their package versions
  translate install PATH                  install an .argosmodel (with the offline splitter)
  translate package-opus-mt MODEL_DIR OUT an OPUS-MT Marian directory as an .argosmodel

Packages live in TRANSLATION_PACKAGES_DIR (default var/translation/packages), or --packages-dir.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

_README_LANGUAGE = re.compile(r"^\*\s*(source|target) language\(s\):\s*(\S+)\s*$", re.MULTILINE)
_DIRECTORY_PAIR = re.compile(r"opus-mt-([a-z]{2,3})-([a-z]{2,3})$")


def infer_pair(model_dir: Path) -> tuple[str | None, str | None]:
    """OPUS-MT's README says "* source language(s): en" and "* target language(s): ht";
    its directory is often named opus-mt-en-ht. A multilingual README names several: None."""
    found: dict[str, str] = {}
    readme = model_dir / "README.md"
    if readme.exists():
        for side, languages in _README_LANGUAGE.findall(readme.read_text(encoding="utf-8")):
            found.setdefault(side, languages)
    match = _DIRECTORY_PAIR.search(model_dir.resolve().name)
    if match:
        found.setdefault("source", match.group(1))
        found.setdefault("target", match.group(2))
    return found.get("source"), found.get("target")


def _translator(args: argparse.Namespace):
    from bot.translation.service import Translator

    return Translator(args.packages_dir)


def _list(args: argparse.Namespace) -> int:
    pairs = _translator(args).pairs()
    if not pairs:
        print(
            "no translation package installed; install one with: "
            "python -m bot translate install FILE.argosmodel"
        )
        return 0
    for pair in pairs:
        print(f"{pair.source}\t{pair.target}\t{pair.version}\t{pair.package}")
    return 0


def _install(args: argparse.Namespace) -> int:
    from bot.translation.packaging import PackageError

    try:
        pair = _translator(args).install(Path(args.path))
    except (PackageError, OSError) as error:
        print(f"not installed: {error}", file=sys.stderr)
        return 1
    print(f"installed {pair.source}→{pair.target} version {pair.version} ({pair.package})")
    return 0


def _package_opus_mt(args: argparse.Namespace) -> int:
    from bot.translation.packaging import PackageError, package_opus_mt

    model_dir = Path(args.model_dir)
    source, target = infer_pair(model_dir)
    source, target = args.source or source, args.target or target
    if not (source and target) or "+" in source or "+" in target:
        print(
            "not packaged: say the languages with --from and --to (the model's README names "
            "no single source and target language)",
            file=sys.stderr,
        )
        return 1
    try:
        out = package_opus_mt(model_dir, Path(args.out), source, target, version=args.version)
    except PackageError as error:
        print(f"not packaged: {error}", file=sys.stderr)
        return 1
    print(
        f"packaged {source}→{target} version {args.version} as {out}; "
        f"install it with: python -m bot translate install {out}"
    )
    return 0


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    from bot.translation.argos import packages_dir

    translate = commands.add_parser("translate", help="machine translation packages (drafts)")
    translate.add_argument(
        "--packages-dir", type=Path, default=None, help=f"default: {packages_dir()}"
    )
    actions = translate.add_subparsers(dest="action", required=True)
    actions.add_parser("list", help="installed pairs with versions").set_defaults(run=_list)
    install = actions.add_parser("install", help="install an .argosmodel file")
    install.add_argument("path")
    install.set_defaults(run=_install)
    opus = actions.add_parser("package-opus-mt", help="an OPUS-MT Marian model as .argosmodel")
    opus.add_argument("model_dir")
    opus.add_argument("out")
    opus.add_argument("--from", dest="source", help="source language code (default: README)")
    opus.add_argument("--to", dest="target", help="target language code (default: README)")
    opus.add_argument("--version", default="1.0", help="the package version (default 1.0)")
    opus.set_defaults(run=_package_opus_mt)
