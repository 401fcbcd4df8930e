"""Build crmlab's bundled Chinese font (中文字体子集): maintainer script.

``crmlab.theme.use_theme()`` falls back to ``crmlab/fonts/NotoSansSC-crmlab.otf``
when a machine has no Chinese font of its own.  That file is a *subset* of
Noto Sans CJK SC Regular (SIL Open Font License 1.1) that keeps only the
characters a CRM course needs, so the wheel stays small:

- the 3 755 level-1 hanzi of GB2312 (一级汉字, rows 0xB0-0xD7);
- Chinese punctuation and full-width forms (标点符号、全角字符): GB2312 rows
  1-3 and 8 (pinyin with tones, bopomofo), the CJK Symbols and Punctuation
  block and the Halfwidth and Fullwidth Forms block, plus printable ASCII so
  the font also works on its own;
- every CJK character found in the kit's own files (see ``KIT_FILES``), so a
  rare character in a label, a notebook or a data file is never a tofu box.

The subset is renamed to the family ``crmlab Sans SC``: it is a modified
version under the OFL, and the new name keeps it from being mistaken for
(or shadowing) a full Noto install.

When to rerun
-------------
``tests/test_theme.py`` fails with "characters missing from the bundled font"
when someone adds a label with a character outside the subset.  Then, on
Debian/Ubuntu as root::

    apt-get install -y fonts-noto-cjk        # the source font, build time only
    python tools/build_cjk_font.py           # rewrites crmlab/fonts/
    apt-get remove -y fonts-noto-cjk         # optional: back to a bare box
    rm -rf ~/.cache/matplotlib               # matplotlib's stale font list

and commit ``crmlab/fonts/NotoSansSC-crmlab.otf`` (and ``OFL.txt`` if it
changed).  Elsewhere pass the font with ``--source PATH`` (the
``NotoSansCJK-Regular.ttc`` collection, or ``NotoSansCJKsc-Regular.otf`` /
``NotoSansSC-Regular.otf`` from the noto-cjk release) and the licence text
with ``--license PATH``.  ``python tools/build_cjk_font.py --check`` only
checks the bundled font against the kit's files (no source font needed).

The build is deterministic: the same source font and the same kit files give
byte-identical output (timestamps are copied from the source, never "now").
Needs only fontTools, which matplotlib already depends on.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FONT_DIR = ROOT / "crmlab" / "fonts"
OUT_FONT = FONT_DIR / "NotoSansSC-crmlab.otf"
OUT_LICENSE = FONT_DIR / "OFL.txt"

FAMILY = "crmlab Sans SC"
PS_NAME = "crmlabSansSC-Regular"
SOURCE_FAMILY = "Noto Sans CJK SC"
DEFAULT_SOURCE = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
DEFAULT_LICENSE = Path("/usr/share/doc/fonts-noto-cjk/copyright")

# Files whose CJK characters must all be in the font: the code (labels,
# messages), the notebooks and exercises (titles, legends), the data
# dictionaries and the data themselves (category values become tick labels).
KIT_FILES = (
    "README.md",
    "crmlab/**/*.py",
    "notebooks/**/*.ipynb",
    "exercises/**/*.ipynb",
    "datasets/**/*.md",
    "datasets/**/*.csv",
)

# Unicode blocks treated as "CJK" when scanning the kit's files.
CJK_RANGES = (
    (0x2E80, 0x2FDF),  # CJK radicals, Kangxi radicals
    (0x3000, 0x303F),  # CJK symbols and punctuation 。、「」
    (0x3040, 0x30FF),  # kana
    (0x3100, 0x312F),  # bopomofo
    (0x31A0, 0x31BF),  # bopomofo extended
    (0x3200, 0x33FF),  # enclosed CJK, CJK compatibility
    (0x3400, 0x4DBF),  # CJK unified ideographs extension A
    (0x4E00, 0x9FFF),  # CJK unified ideographs
    (0xF900, 0xFAFF),  # CJK compatibility ideographs
    (0xFE30, 0xFE4F),  # CJK compatibility forms
    (0xFF00, 0xFFEF),  # halfwidth and fullwidth forms ，：（）
    (0x20000, 0x3134F),  # extensions B-G
)

# Punctuation that Chinese text uses outside the CJK blocks. DejaVu Sans
# draws these first anyway; they are here so the font also works alone.
EXTRA_PUNCTUATION = "\u00b7\u2013\u2014\u2015\u2016\u2018\u2019\u201c\u201d\u2026\u2030\u2103\u2116\u203b"


def is_cjk(char: str) -> bool:
    """True if ``char`` lies in one of :data:`CJK_RANGES`."""
    code = ord(char)
    return any(lo <= code <= hi for lo, hi in CJK_RANGES)


def _gb2312_rows(rows) -> list[str]:
    chars = []
    for row in rows:
        for cell in range(0xA1, 0xFF):
            try:
                chars.append(bytes([row, cell]).decode("gb2312"))
            except UnicodeDecodeError:
                pass  # unassigned cell
    return chars


def gb2312_level1() -> list[str]:
    """The 3 755 level-1 hanzi of GB2312 (一级汉字), in GB2312 (pinyin) order."""
    chars = _gb2312_rows(range(0xB0, 0xD8))
    assert len(chars) == 3755, len(chars)  # row 0xD7 has 5 unassigned cells
    return chars


def chinese_punctuation() -> list[str]:
    """Punctuation, digits and full-width forms used in Chinese text."""
    chars = _gb2312_rows([0xA1, 0xA2, 0xA3, 0xA8])  # rows 1-3 and 8
    chars += [chr(c) for c in range(0x3000, 0x3040)]
    chars += [chr(c) for c in range(0xFF01, 0xFF66)]
    chars += [chr(c) for c in range(0xFFE0, 0xFFE7)]
    chars += list(EXTRA_PUNCTUATION)
    chars += [chr(c) for c in range(0x20, 0x7F)]
    return chars


def _strings(node):
    # Every string in a parsed notebook: sources, outputs and metadata, which
    # is what nbformat may have written as \uXXXX escapes.
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)


def kit_files(root: Path = ROOT) -> list[Path]:
    """The kit's files that are scanned for CJK characters, sorted."""
    files = set()
    for pattern in KIT_FILES:
        for path in root.glob(pattern):
            # Skip .ipynb_checkpoints and other hidden copies: git ignores them.
            if path.is_file() and not any(part.startswith(".") for part in path.relative_to(root).parts):
                files.add(path)
    return sorted(files)


def kit_cjk_chars(root: Path = ROOT) -> dict[str, Path]:
    """Every CJK character in the kit's files, mapped to one file that uses it."""
    found: dict[str, Path] = {}
    for path in kit_files(root):
        text = path.read_bytes().decode("utf-8", errors="replace")
        if path.suffix == ".ipynb":
            try:
                text = "\n".join(_strings(json.loads(text)))
            except ValueError:
                pass  # a half-written notebook: scan the raw text
        for char in set(text):
            if char not in found and is_cjk(char):
                found[char] = path.relative_to(root)
    return found


def required_chars(root: Path = ROOT) -> list[str]:
    """All characters the bundled font must draw, sorted by code point."""
    chars = set(gb2312_level1()) | set(chinese_punctuation()) | set(kit_cjk_chars(root))
    return sorted(chars)


def _find_face(source: Path):
    from fontTools.ttLib import TTCollection, TTFont

    if source.suffix.lower() == ".ttc":
        for number, face in enumerate(TTCollection(source).fonts):
            if face["name"].getDebugName(1) == SOURCE_FAMILY:
                return TTFont(source, fontNumber=number, recalcTimestamp=False)
        sys.exit(f"{source} has no face named {SOURCE_FAMILY!r}")
    return TTFont(source, recalcTimestamp=False)


def _rename(font, version_note: str) -> None:
    # A modified OFL font is renamed so it can't pass for the original.
    name = font["name"]
    old_version = name.getDebugName(5) or ""
    version = old_version.split(";")[0].strip() or "Version 1.0"
    for record in list(name.names):
        if record.nameID in (1, 3, 4, 6, 16, 17, 21, 22):
            name.removeNames(nameID=record.nameID)
    name.setName(FAMILY, 1, 3, 1, 0x409)
    name.setName("Regular", 2, 3, 1, 0x409)
    name.setName(f"{version.removeprefix('Version ')};crmlab;{PS_NAME}", 3, 3, 1, 0x409)
    name.setName(FAMILY, 4, 3, 1, 0x409)
    name.setName(f"{version}; {version_note}", 5, 3, 1, 0x409)
    name.setName(PS_NAME, 6, 3, 1, 0x409)
    name.setName(
        f"Subset of {SOURCE_FAMILY} Regular for the crmlab teaching kit: "
        "GB2312 level-1 hanzi, Chinese punctuation and the characters of "
        "the kit's own files. Renamed as required for a Modified Version "
        "under the SIL Open Font License 1.1.",
        10, 3, 1, 0x409,
    )
    cff = font["CFF "].cff
    old_ps = cff.fontNames[0]
    cff.fontNames = [PS_NAME]
    top = cff.topDictIndex[0]
    top.FullName = FAMILY
    top.FamilyName = FAMILY
    for fd in getattr(top, "FDArray", []) or []:
        fd.FontName = fd.FontName.replace(old_ps, PS_NAME)


def subset_font(source: Path, chars: list[str], out: Path) -> None:
    """Write the subset of ``source`` that covers ``chars`` to ``out``."""
    from fontTools import subset

    font = _find_face(source)
    cmap = font.getBestCmap()
    unicodes = [ord(c) for c in chars if ord(c) in cmap]
    missing = [c for c in chars if ord(c) not in cmap and not c.isspace()]
    if any(is_cjk(c) for c in missing):
        sys.exit(f"{source} lacks {''.join(c for c in missing if is_cjk(c))!r}")

    options = subset.Options()
    options.layout_features = []  # matplotlib does no OpenType shaping of hanzi
    options.hinting = False  # matplotlib autohints (rcParams["text.hinting"])
    options.drop_tables += ["vhea", "vmtx", "VORG", "BASE"]  # vertical text only
    options.name_IDs = ["*"]  # keep copyright, trademark and licence records
    options.name_languages = [0x409]
    options.notdef_outline = True
    options.recalc_timestamp = False
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=unicodes)
    subsetter.subset(font)

    _rename(font, f"crmlab subset of {len(unicodes)} characters")
    out.parent.mkdir(parents=True, exist_ok=True)
    font.save(out)


def license_text(debian_copyright: Path) -> str:
    """OFL.txt: the font's copyright lines and the OFL 1.1 text.

    ``debian_copyright`` is Debian's ``copyright`` file of fonts-noto-cjk, or
    any plain text file that holds the OFL 1.1 (e.g. upstream's LICENSE).
    """
    from fontTools.ttLib import TTFont

    lines = debian_copyright.read_text(encoding="utf-8").splitlines()
    stanza = [i for i, line in enumerate(lines)
              if line.strip() == "License: SIL-1.1" and lines[i + 1:i + 2] and lines[i + 1].startswith(" ")]
    body = []
    if stanza:
        # Debian's copyright file (DEP-5) indents the licence text by one
        # space and writes blank lines as " .".
        for line in lines[stanza[0] + 1:]:
            if not line.startswith(" "):
                break
            body.append("" if line.strip() == "." else line[1:])
    else:
        # A plain OFL.txt / LICENSE: the text from its title on.
        title = next((i for i, line in enumerate(lines) if "SIL OPEN FONT LICENSE" in line), None)
        if title is not None:
            body = lines[title - 1 if title and set(lines[title - 1].strip()) == {"-"} else title:]
    if "SIL OPEN FONT LICENSE Version 1.1" not in "\n".join(body):
        sys.exit(f"no OFL 1.1 text found in {debian_copyright}")

    font = TTFont(OUT_FONT, lazy=True)
    notice = font["name"].getDebugName(0)  # "© 2014-2021 Adobe (http://www.adobe.com/)."
    trademark = font["name"].getDebugName(7)
    header = [
        f"{FAMILY} ({OUT_FONT.name}) is a subset of {SOURCE_FAMILY} Regular,",
        "made by tools/build_cjk_font.py of the crmlab teaching kit.",
        "",
        f"Copyright {notice.lstrip('© ').rstrip('.')}, with Reserved Font Name 'Source'.",
        f"{trademark}",
        "",
        "This Font Software is licensed under the SIL Open Font License, Version 1.1.",
        "This license is copied below, and is also available with a FAQ at:",
        "https://openfontlicense.org",
        "",
    ]
    return "\n".join(header + body).rstrip() + "\n"


def check(font_path: Path = OUT_FONT, root: Path = ROOT) -> list[str]:
    """Characters the kit needs that ``font_path`` does not have."""
    from fontTools.ttLib import TTFont

    cmap = TTFont(font_path, lazy=True).getBestCmap()
    return [c for c in required_chars(root) if ord(c) not in cmap and not c.isspace()]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE,
                        help=f"Noto Sans CJK .ttc/.otf (default {DEFAULT_SOURCE})")
    parser.add_argument("--license", type=Path, default=DEFAULT_LICENSE,
                        help=f"file holding the OFL text (default {DEFAULT_LICENSE})")
    parser.add_argument("--check", action="store_true",
                        help="only check the bundled font covers the kit's characters")
    args = parser.parse_args(argv)

    if args.check:
        missing = check()
        if missing:
            print(f"{len(missing)} characters missing from {OUT_FONT.name}: {''.join(missing)}")
            return 1
        print(f"{OUT_FONT.name} covers all {len(required_chars())} required characters.")
        return 0

    if not args.source.exists():
        sys.exit(f"{args.source} not found: `apt-get install -y fonts-noto-cjk` or pass --source")
    chars = required_chars()
    kit = kit_cjk_chars()
    subset_font(args.source, chars, OUT_FONT)
    OUT_LICENSE.write_text(license_text(args.license), encoding="utf-8")

    digest = hashlib.sha256(args.source.read_bytes()).hexdigest()
    size = OUT_FONT.stat().st_size
    print(f"source  {args.source} (sha256 {digest[:16]}...)")
    print(f"chars   {len(chars)} requested, of which {len(kit)} CJK from {len(kit_files())} kit files")
    print(f"wrote   {OUT_FONT.relative_to(ROOT)} ({size / 1024:.0f} KiB), {OUT_LICENSE.relative_to(ROOT)}")
    missing = check()
    if missing:
        print(f"WARNING: still missing {''.join(missing)!r}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
