"""Tests of crmlab.theme: Chinese labels render everywhere, Latin text stays
in DejaVu Sans, bad font names fail loudly, boxplots draw without warnings.

They force the bundled font where it matters, so they check the fallback a
machine without any Chinese font gets, whatever fonts this machine has.
"""
from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
import warnings
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest
from _scripts import load_script
from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from crmlab import theme
from crmlab.validation import CrmlabInputError
from crmlab.theme import BUNDLED_FAMILY, BUNDLED_FONT, LATIN_FONT, boxplot, use_theme

ROOT = Path(__file__).resolve().parents[1]
REBUILD_HINT = (
    "Rebuild the bundled font: apt-get install -y fonts-noto-cjk && "
    "python tools/build_cjk_font.py (see crmlab/fonts/README.md)."
)


@pytest.fixture(autouse=True)
def _restore_rcparams():
    # use_theme changes rcParams for the whole process: undo it after each
    # test so other test files see matplotlib's defaults.
    with matplotlib.rc_context():
        yield


@pytest.fixture(scope="module")
def build_script():
    return load_script("tools/build_cjk_font.py")


def _figure(**kwargs) -> Figure:
    # An Agg figure outside pyplot: no GUI backend, no global figure list.
    fig = Figure(**kwargs)
    FigureCanvasAgg(fig)
    return fig


def _sales() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    n = 120
    return pd.DataFrame({
        "客户类型": rng.choice(["高价值客户", "一般客户", "流失预警"], n),
        "渠道": rng.choice(["线上商城", "线下门店"], n),
        "消费金额": rng.gamma(2.0, 150.0, n).round(2),
    })


def _chinese_figure() -> Figure:
    """Chinese title, axis labels, tick labels, legend and legend title."""
    import seaborn as sns

    fig = _figure()
    ax = fig.subplots()
    sns.barplot(_sales(), x="客户类型", y="消费金额", hue="渠道", errorbar=None, ax=ax)
    ax.set_title("客户分群：各渠道平均消费（RFM 分析，2024 年）")
    ax.set_xlabel("客户类型")
    ax.set_ylabel("平均消费金额（元）")
    ax.legend(title="销售渠道")
    return fig


def _render(fig: Figure, caplog) -> list[str]:
    """Draw and save ``fig`` as PNG; the glyph warnings and log lines it caused."""
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="matplotlib"), \
            warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig.canvas.draw()
        fig.savefig(io.BytesIO(), format="png")
    problems = [str(w.message) for w in caught if "missing from font" in str(w.message)]
    problems += [f"log {r.name}: {r.getMessage()}" for r in caplog.records]
    return problems


# (a) the bundled font draws a whole Chinese figure -------------------------

def test_bundled_font_renders_chinese_figure_without_missing_glyphs(caplog):
    assert use_theme(cjk_font="bundled") == BUNDLED_FAMILY
    assert _render(_chinese_figure(), caplog) == []


def test_missing_glyph_check_detects_tofu(caplog):
    # Control for the test above: without a CJK font in the fallback chain
    # the same figure does produce missing-glyph warnings, so their absence
    # above means something.
    use_theme(cjk_font="bundled", rc={"font.family": ["sans-serif"]})
    problems = _render(_chinese_figure(), caplog)
    assert any("missing from font(s) DejaVu Sans" in p for p in problems)


def _ink(char: str) -> np.ndarray:
    fig = _figure(figsize=(1, 1), dpi=100)
    fig.text(0.5, 0.5, char, fontsize=40, ha="center", va="center")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the control below draws tofu on purpose
        fig.canvas.draw()
    return np.asarray(fig.canvas.buffer_rgba())[..., 0] < 128


def test_hanzi_are_drawn_as_real_glyphs():
    # Empty boxes (tofu) all look alike; real glyphs of 客 and 户 do not.
    use_theme(cjk_font="bundled")
    ke, hu = _ink("客"), _ink("户")
    assert ke.sum() > 50 and hu.sum() > 50
    assert (ke != hu).sum() > 50

    matplotlib.rcParams["font.family"] = [LATIN_FONT]  # control: tofu only
    assert (_ink("客") == _ink("户")).all()


# (b) the bundled font covers what the kit needs ------------------------------

def test_gb2312_level1_enumeration(build_script):
    chars = build_script.gb2312_level1()
    assert len(chars) == len(set(chars)) == 3755
    assert chars[0] == "啊" and chars[-1] == "座"  # 0xB0A1 and 0xD7F9
    assert all(0x4E00 <= ord(c) <= 0x9FFF for c in chars)


def _font_charmap() -> set[int]:
    # What matplotlib (FreeType) sees in the file, not what fontTools wrote.
    return set(font_manager.get_font(str(BUNDLED_FONT)).get_charmap())


def test_bundled_font_covers_gb2312_level1(build_script):
    charmap = _font_charmap()
    missing = [c for c in build_script.gb2312_level1() if ord(c) not in charmap]
    assert not missing, f"{len(missing)} GB2312 level-1 characters missing: {''.join(missing)}"


def test_bundled_font_covers_chinese_punctuation(build_script):
    charmap = _font_charmap()
    for char in "，。、；：？！“”‘’（）《》【】…—·￥％０１Ａ":
        assert ord(char) in charmap, char
    missing = [c for c in build_script.chinese_punctuation() if ord(c) not in charmap and not c.isspace()]
    assert not missing, "".join(missing)


def _missing_from_font(build_script, root: Path) -> dict[str, Path]:
    found = build_script.kit_cjk_chars(root)
    charmap = _font_charmap()
    return {c: path for c, path in found.items() if ord(c) not in charmap and not c.isspace()}


def test_bundled_font_covers_every_cjk_character_of_the_kit(build_script):
    assert build_script.kit_cjk_chars(ROOT), "the scan found no Chinese at all: is ROOT right?"
    missing = _missing_from_font(build_script, ROOT)
    detail = ", ".join(f"{c} ({path})" for c, path in sorted(missing.items())[:30])
    assert not missing, (
        f"{len(missing)} characters missing from the bundled font: {detail}. {REBUILD_HINT}"
    )


def test_kit_scan_catches_a_rare_character(build_script, tmp_path):
    # A notebook titled with 龘 (not in GB2312) must be reported, also when
    # nbformat stored it as a \\uXXXX escape; 鹏 (level 1) must not.
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "x.ipynb").write_text(
        '{"cells": [{"source": ["ax.set_title(\\"\\u9e4f\\u9f98\\")"]}]}', encoding="ascii"
    )
    assert set(build_script.kit_cjk_chars(tmp_path)) == {"鹏", "龘"}
    assert set(_missing_from_font(build_script, tmp_path)) == {"龘"}


def test_bundled_font_file_and_licence():
    assert BUNDLED_FONT.stat().st_size < 2 * 1024 * 1024
    assert font_manager.FontProperties(fname=BUNDLED_FONT).get_name() == BUNDLED_FAMILY
    licence = (BUNDLED_FONT.parent / "OFL.txt").read_text(encoding="utf-8")
    assert "SIL OPEN FONT LICENSE Version 1.1" in licence
    assert "Adobe" in licence and "Reserved Font Name" in licence


# (c) Latin text stays in DejaVu Sans -----------------------------------------

def _fonts_used(text: str) -> dict[str, str]:
    from matplotlib import _text_helpers  # per-glyph layout, matplotlib >= 3.6

    font = font_manager.get_font(
        font_manager.fontManager._find_fonts_by_props(font_manager.FontProperties())
    )
    return {item.char: Path(item.ft_object.fname).name for item in _text_helpers.layout(text, font)}


@pytest.mark.parametrize("cjk_font", ["bundled", "auto"])
def test_latin_text_uses_dejavu_sans(cjk_font):
    family = use_theme(cjk_font=cjk_font)
    rc = matplotlib.rcParams
    assert rc["font.family"] == ["sans-serif", family]
    assert rc["font.sans-serif"][:2] == [LATIN_FONT, family]
    assert Path(font_manager.findfont(font_manager.FontProperties())).name == "DejaVuSans.ttf"

    used = _fonts_used("RFM 客户 −12.5")
    for char in "RFM−125.":
        assert used[char] == "DejaVuSans.ttf", char
    if cjk_font == "bundled":
        assert used["客"] == used["户"] == BUNDLED_FONT.name
    else:
        assert used["客"] != "DejaVuSans.ttf"


def test_auto_picks_a_font_that_draws_chinese():
    family = use_theme()
    installed = theme.installed_cjk_fonts()
    assert family == (installed[0] if installed else BUNDLED_FAMILY)
    path = font_manager.findfont(font_manager.FontProperties(family=[family]), fallback_to_default=False)
    font = font_manager.get_font(path)
    assert all(font.get_char_index(ord(c)) for c in "客户关系管理")


def test_font_file_path_is_accepted():
    assert use_theme(cjk_font=BUNDLED_FONT) == BUNDLED_FAMILY
    assert use_theme(cjk_font=os.fspath(BUNDLED_FONT)) == BUNDLED_FAMILY


# (d) a font that can't be used is a clear error -------------------------------

def test_unknown_font_is_a_clear_error():
    use_theme(cjk_font="bundled")
    before = dict(matplotlib.rcParams)
    with pytest.raises(CrmlabInputError, match="'No Such Font 黑体' is not installed") as info:
        use_theme(cjk_font="No Such Font 黑体")
    message = str(info.value)
    assert "cjk_font='bundled'" in message and "font cache" in message
    assert isinstance(info.value, ValueError)
    assert dict(matplotlib.rcParams) == before  # nothing changed


def test_font_without_chinese_is_a_clear_error():
    with pytest.raises(CrmlabInputError, match="'DejaVu Sans' has no Chinese characters"):
        use_theme(cjk_font="DejaVu Sans")


def test_misspelt_font_gets_a_suggestion():
    with pytest.raises(CrmlabInputError, match="Did you mean 'DejaVu Sans'"):
        use_theme(cjk_font="DejaVu Snas")


# the theme itself ---------------------------------------------------------------

def test_theme_settings():
    use_theme(cjk_font="bundled")
    rc = matplotlib.rcParams
    assert rc["figure.dpi"] == 100
    assert tuple(rc["figure.figsize"]) == (7.0, 4.5)
    assert rc["savefig.dpi"] == "figure"
    assert rc["axes.unicode_minus"] is True
    assert rc["axes.grid"] is True  # seaborn's whitegrid style
    notebook_size = rc["axes.labelsize"]
    use_theme("talk", cjk_font="bundled")
    assert rc["axes.labelsize"] > notebook_size
    use_theme(cjk_font="bundled", rc={"figure.dpi": 72})
    assert rc["figure.dpi"] == 72


def test_second_call_gives_same_settings_and_registers_font_once():
    use_theme(cjk_font="bundled")
    first = dict(matplotlib.rcParams)
    fonts = len(font_manager.fontManager.ttflist)
    use_theme("talk", cjk_font="bundled", palette="muted")
    assert use_theme(cjk_font="bundled") == BUNDLED_FAMILY
    assert dict(matplotlib.rcParams) == first
    assert len(font_manager.fontManager.ttflist) == fonts


def test_import_is_light():
    code = (
        "import sys, crmlab.theme; "
        "heavy = [m for m in ('seaborn', 'matplotlib.pyplot', 'pandas') if m in sys.modules]; "
        "print(heavy); sys.exit(bool(heavy))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


# (e) boxplots without matplotlib's vert= deprecation ------------------------------

def _boxes(ax) -> list[np.ndarray]:
    return [np.asarray(p.get_path().vertices) for p in ax.patches]


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(x="客户类型", y="消费金额"),
        dict(x="消费金额", y="客户类型"),  # horizontal 横向
        dict(x="客户类型", y="消费金额", hue="渠道"),
        dict(x="客户类型", y="消费金额", orient="x", fill=False),
    ],
)
def test_boxplot_helper_is_warning_free_and_draws_the_same(kwargs, caplog):
    import seaborn as sns

    use_theme(cjk_font="bundled")
    data = _sales()
    fig = _figure()
    ax = fig.subplots()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any warning at all fails the test
        assert boxplot(data, ax=ax, **kwargs) is ax
        fig.canvas.draw()
    assert "bxp" not in vars(ax)  # the per-call shim is gone again
    assert _render(fig, caplog) == []

    reference = _figure().subplots()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # seaborn's own call warns; see below
        sns.boxplot(data, ax=reference, **kwargs)
    ours, theirs = ax.patches or ax.lines, reference.patches or reference.lines
    assert len(ours) == len(theirs) > 0
    if ax.patches:
        for a, b in zip(_boxes(ax), _boxes(reference)):
            np.testing.assert_allclose(a, b)
    else:
        for a, b in zip(ax.lines, reference.lines):
            np.testing.assert_allclose(a.get_xydata(), b.get_xydata())
    assert [t.get_text() for t in ax.get_xticklabels()] == [
        t.get_text() for t in reference.get_xticklabels()
    ]


def test_plain_seaborn_boxplot_still_warns():
    # Why the helper exists: seaborn 0.13.2 calls Axes.bxp(vert=...), which
    # matplotlib 3.10 made pending-deprecated and 3.11 deprecated. seaborn's
    # fix (mwaskom/seaborn#3820) is not released; when it is, retire boxplot().
    import seaborn as sns

    if not theme._bxp_has_orientation():
        pytest.skip("matplotlib < 3.10: vert= is still the current API")
    if tuple(int(p) for p in sns.__version__.split(".")[:3]) > (0, 13, 2):
        pytest.skip(f"seaborn {sns.__version__} may pass orientation= itself")
    ax = _figure().subplots()
    with pytest.warns((DeprecationWarning, PendingDeprecationWarning), match="vert: bool"):
        sns.boxplot(_sales(), x="客户类型", y="消费金额", ax=ax)


# Machado, Oliveira & Fernandes (2009): linear-RGB matrices simulating full deuteranopia, protanopia
# and tritanopia.
CVD = {"deuteranopia": [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.011820, 0.042940, 0.968881]],
       "protanopia": [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]],
       "tritanopia": [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602], [0.004733, 0.691367, 0.303900]]}


def _closest_pair_seen_with(deficiency: str, colours) -> float:
    """The smallest CIELAB distance (ΔE*ab) between two of ``colours`` as a person with ``deficiency`` sees them."""
    import itertools

    from matplotlib.colors import to_rgb

    srgb = np.array([to_rgb(c) for c in colours])
    linear = np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4) @ np.array(CVD[deficiency]).T
    xyz = np.clip(linear, 0, 1) @ np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722],
                                            [0.0193, 0.1192, 0.9505]]).T / [0.95047, 1.0, 1.08883]
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    lab = np.stack([116 * f[:, 1] - 16, 500 * (f[:, 0] - f[:, 1]), 200 * (f[:, 1] - f[:, 2])], axis=1)
    return min(np.linalg.norm(lab[i] - lab[j]) for i, j in itertools.combinations(range(len(lab)), 2))


@pytest.mark.parametrize("deficiency", CVD)
def test_projector_palette_stays_apart_for_colour_blind_viewers(deficiency):
    import seaborn as sns

    from crmlab.theme import COLOURBLIND_SAFE

    # 12 ΔE: clearly different side by side. The default palettes, the control, fall below it for red-green
    # deficiencies (their green and red, or blue and purple, merge).
    assert _closest_pair_seen_with(deficiency, COLOURBLIND_SAFE) > 12
    if deficiency != "tritanopia":
        assert _closest_pair_seen_with(deficiency, sns.color_palette("deep")[:7]) < 12
        assert _closest_pair_seen_with(deficiency, sns.color_palette("tab10")[:7]) < 12


def test_projector_mode_enlarges_and_restores_the_figures():
    import matplotlib as mpl

    from crmlab.theme import projector_mode, use_theme

    with mpl.rc_context():
        use_theme(cjk_font="bundled")
        normal = {k: mpl.rcParams[k] for k in ("axes.labelsize", "xtick.labelsize", "lines.linewidth", "figure.figsize")}
        style = projector_mode(cjk_font="bundled")
        assert mpl.rcParams["axes.labelsize"] >= 1.5 * normal["axes.labelsize"]
        assert mpl.rcParams["xtick.labelsize"] >= 1.5 * normal["xtick.labelsize"]
        assert mpl.rcParams["lines.linewidth"] > normal["lines.linewidth"]
        assert {mpl.rcParams[k] for k in ("text.color", "axes.labelcolor", "xtick.color", "ytick.color")} == {"black"}
        assert "--jp-widgets-font-size" in style.data and "projector mode: on" in repr(style)
        assert mpl.rcParams["font.family"][1] == "crmlab Sans SC"  # Chinese still renders
        off = projector_mode(False, cjk_font="bundled")
        assert {k: mpl.rcParams[k] for k in normal} == normal
        assert "--jp-widgets-font-size" not in off.data
