"""Readable figures with Chinese labels (中文图表) on any machine.

One call at the top of a notebook, :func:`use_theme`, styles every matplotlib
and seaborn figure that follows: the seaborn theme (主题), font sizes for the
chosen context, a figure size and dpi that keep notebook PNGs small, and a
Chinese font (中文字体) so that titles, axis labels, tick labels and legends in
Chinese render instead of empty boxes (豆腐块, "tofu").

How the fonts are chosen
------------------------
Latin letters, digits and the minus sign stay in matplotlib's default font,
DejaVu Sans. Chinese characters come from a CJK font placed *after* it
(``rcParams["font.family"] = ["sans-serif", <CJK font>]`` with DejaVu Sans
first in ``rcParams["font.sans-serif"]``): matplotlib (>= 3.6) falls back
glyph by glyph, so each character is drawn by the first font that has it.
The CJK font is the first of these that matplotlib can find:

- Windows: Microsoft YaHei (微软雅黑), SimHei (黑体);
- macOS: PingFang SC (苹方), Hiragino Sans GB (冬青黑体), Heiti SC;
- Linux: Noto Sans CJK SC / Source Han Sans SC (思源黑体), WenQuanYi (文泉驿);

and otherwise ``crmlab Sans SC``, the small subset of Noto Sans CJK SC that
crmlab carries in ``crmlab/fonts/`` (SIL Open Font License 1.1). It covers
the 3 755 common hanzi of GB2312 level 1 (一级汉字), Chinese punctuation and
every character used in the kit's notebooks and data, and needs no network.

Boxplots
--------
seaborn 0.13.2 passes the ``vert=`` argument that matplotlib 3.11 deprecates
(``MatplotlibDeprecationWarning: vert: bool was deprecated in Matplotlib
3.11``). Use :func:`boxplot` (same arguments as ``seaborn.boxplot``) to draw
the same figure through matplotlib's ``orientation=`` argument instead.

Examples
--------
>>> from crmlab.theme import use_theme
>>> use_theme()                          # doctest: +SKIP
'Noto Sans CJK SC'
>>> use_theme(cjk_font="bundled")        # the font crmlab carries
'crmlab Sans SC'
"""
from __future__ import annotations

import difflib
import functools
import os
from pathlib import Path

from crmlab.validation import CrmlabInputError

__all__ = [
    "use_theme",
    "projector_mode",
    "COLOURBLIND_SAFE",
    "boxplot",
    "installed_cjk_fonts",
    "BUNDLED_FONT",
    "BUNDLED_FAMILY",
    "LATIN_FONT",
    "CJK_FONTS",
]

#: The CJK font file crmlab carries (built by ``tools/build_cjk_font.py``).
BUNDLED_FONT = Path(__file__).resolve().parent / "fonts" / "NotoSansSC-crmlab.otf"
#: Its family name, as matplotlib sees it.
BUNDLED_FAMILY = "crmlab Sans SC"
#: The font for Latin text: matplotlib's default, present on every machine.
LATIN_FONT = "DejaVu Sans"

#: Installed Simplified-Chinese sans-serif fonts that ``use_theme`` prefers,
#: best first. Each platform has only its own, so the order across platforms
#: matters little; within Linux, Noto/Source Han beat WenQuanYi.
CJK_FONTS = (
    "Microsoft YaHei",      # Windows 微软雅黑
    "SimHei",               # Windows 黑体
    "PingFang SC",          # macOS 苹方
    "Hiragino Sans GB",     # macOS 冬青黑体
    "Heiti SC",             # older macOS 黑体-简
    "STHeiti",
    "Noto Sans CJK SC",     # Linux fonts-noto-cjk, google-noto-sans-cjk
    "Noto Sans SC",         # same design, Google Fonts packaging
    "Source Han Sans SC",   # 思源黑体, Adobe's name for the same design
    "Source Han Sans CN",
    "WenQuanYi Zen Hei",    # 文泉驿正黑
    "WenQuanYi Micro Hei",  # 文泉驿微米黑
)

# Characters a font must draw to count as Chinese (客户关系管理 = CRM).
_PROBE = "客户关系管理"


def _font_manager():
    # matplotlib is imported on first use only, to keep `import crmlab.theme`
    # light (notebooks that never plot should not pay for it).
    from matplotlib import font_manager

    return font_manager


def installed_cjk_fonts() -> list[str]:
    """Chinese font families that matplotlib can use on this machine.

    Returns
    -------
    list of str
        The families of :data:`CJK_FONTS` that matplotlib's font list
        (``matplotlib.font_manager.fontManager.ttflist``) holds, best first.
        The bundled font is not included: it is always available.

    Examples
    --------
    >>> from crmlab.theme import installed_cjk_fonts
    >>> installed_cjk_fonts()                # doctest: +SKIP
    ['Microsoft YaHei', 'SimHei']
    """
    names = {entry.name for entry in _font_manager().fontManager.ttflist}
    return [name for name in CJK_FONTS if name in names]


def _register_font(path: Path) -> str:
    """Make the font file at ``path`` known to matplotlib; return its family."""
    fm = _font_manager()
    path = Path(path).expanduser().resolve()
    if not path.is_file():
        raise CrmlabInputError(
            f"Font file {path} not found. If this is crmlab's own font, the "
            "installation is incomplete: reinstall crmlab (pip install "
            "--force-reinstall crmlab), or in a checkout run "
            "`python tools/build_cjk_font.py`."
        )
    fname = os.fsdecode(path)
    for entry in fm.fontManager.ttflist:
        if entry.fname == fname:  # registered by an earlier call: stay cheap
            return entry.name
    # fontManager is matplotlib's process-wide font list; adding to it is the
    # documented way to use a font file that is not installed.
    fm.fontManager.addfont(fname)
    return fm.FontProperties(fname=fname).get_name()


def _missing_chars(family: str, text: str = _PROBE) -> str:
    """The characters of ``text`` that ``family`` cannot draw."""
    fm = _font_manager()
    path = fm.findfont(fm.FontProperties(family=[family]), fallback_to_default=False)
    font = fm.get_font(path)
    return "".join(ch for ch in text if font.get_char_index(ord(ch)) == 0)


def _resolve_cjk_font(cjk_font) -> str:
    """The CJK family to use for ``cjk_font`` (see :func:`use_theme`)."""
    fm = _font_manager()
    keyword = cjk_font.strip().lower() if isinstance(cjk_font, str) else cjk_font
    if keyword is None or keyword == "auto":
        installed = installed_cjk_fonts()
        return installed[0] if installed else _register_font(BUNDLED_FONT)
    if keyword == "bundled":
        return _register_font(BUNDLED_FONT)
    if not isinstance(cjk_font, (str, os.PathLike)):
        raise CrmlabInputError(
            f"cjk_font must be 'auto', 'bundled', a font family name or the "
            f"path of a font file, not {type(cjk_font).__name__}."
        )

    if isinstance(cjk_font, os.PathLike) or Path(cjk_font).suffix.lower() in (".ttf", ".otf", ".ttc"):
        family = _register_font(Path(cjk_font))
    else:
        names = sorted({entry.name for entry in fm.fontManager.ttflist})
        by_lower = {name.lower(): name for name in names}
        family = by_lower.get(cjk_font.strip().lower())
        if family is None:
            close = difflib.get_close_matches(cjk_font, names, n=3, cutoff=0.6)
            hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
            raise CrmlabInputError(
                f"Font {cjk_font!r} is not installed, or matplotlib does not "
                f"know it yet.{hint} Chinese fonts matplotlib can use here: "
                f"{installed_cjk_fonts() or 'none'}. Fix: call use_theme() to "
                "pick one automatically, or use_theme(cjk_font='bundled') for "
                "the font crmlab carries; after installing a new font, delete "
                f"matplotlib's font cache ({_cache_dir()}) and restart the "
                "kernel."
            )

    missing = _missing_chars(family)
    if missing:
        raise CrmlabInputError(
            f"Font {family!r} has no Chinese characters (it cannot draw "
            f"{missing!r}), so Chinese labels would show as empty boxes. Use "
            "use_theme() to pick a Chinese font automatically, or "
            f"use_theme(cjk_font='bundled'). Installed Chinese fonts: "
            f"{installed_cjk_fonts() or 'none'}."
        )
    return family


def _cache_dir() -> str:
    import matplotlib

    return matplotlib.get_cachedir()


def _font_list(family: str, defaults: list[str]) -> list[str]:
    """``[LATIN_FONT, family, *defaults]`` without repeats: Latin first, then CJK."""
    return list(dict.fromkeys([LATIN_FONT, family, *defaults]))


def use_theme(
    context: str = "notebook",
    *,
    cjk_font: str | os.PathLike | None = "auto",
    style: str = "whitegrid",
    palette: str | list | None = "deep",
    font_scale: float = 1.0,
    figsize: tuple[float, float] = (7.0, 4.5),
    dpi: int = 100,
    rc: dict | None = None,
) -> str:
    """Style all following figures and make Chinese labels render (设置中文图表主题).

    Sets seaborn's theme and matplotlib's ``rcParams``; nothing else changes
    (besides making the bundled font file known to matplotlib's font list).
    Calling it again is cheap and gives the same result, so a notebook may
    call it in its first cell and again after changing ``context``.

    Parameters
    ----------
    context : {"notebook", "paper", "talk", "poster"}, default "notebook"
        seaborn plotting context: scales fonts and lines for the medium
        (``"talk"`` for slides 课堂投影, ``"paper"`` for reports 报告).
    cjk_font : str or path-like, default "auto"
        The Chinese font (中文字体):

        - ``"auto"``: the first installed font of :data:`CJK_FONTS`, else the
          bundled font;
        - ``"bundled"``: always the font crmlab carries (``crmlab Sans SC``),
          e.g. to check what a machine without Chinese fonts will show;
        - a family name matplotlib knows, e.g. ``"SimHei"``;
        - the path of a ``.ttf``/``.otf``/``.ttc`` file.
    style : str, default "whitegrid"
        seaborn axes style (``"whitegrid"``, ``"white"``, ``"ticks"``, ...).
    palette : str or list, default "deep"
        seaborn colour palette (调色板).
    font_scale : float, default 1.0
        Extra factor on all font sizes of ``context``.
    figsize : (float, float), default (7.0, 4.5)
        Default figure size in inches.
    dpi : int, default 100
        Figure and ``savefig`` resolution; 100 keeps notebook PNGs small
        (a default figure is 700 x 450 pixels).
    rc : dict, optional
        Further ``rcParams`` to set last, overriding everything above.

    Returns
    -------
    str
        The family name of the CJK font in use, e.g. ``"Microsoft YaHei"``
        or ``"crmlab Sans SC"``. It differs between machines, so in a
        notebook end the call with ``;`` (``crmlab.use_theme();``): a stored
        output naming this machine's font would fail nbval on another one.

    Raises
    ------
    crmlab.validation.CrmlabInputError
        If ``cjk_font`` names a font matplotlib cannot find, or one without
        Chinese characters. The message lists the Chinese fonts available
        and how to fix it. Nothing is changed in that case.

    See Also
    --------
    installed_cjk_fonts : The Chinese fonts this machine has.
    boxplot : ``seaborn.boxplot`` without matplotlib 3.11's deprecation warning.

    Notes
    -----
    Latin text stays in DejaVu Sans: ``rcParams["font.family"]`` becomes
    ``["sans-serif", <CJK font>]`` and ``rcParams["font.sans-serif"]`` starts
    with DejaVu Sans, then the CJK font; matplotlib takes each glyph from the
    first font of ``font.family`` that has it. seaborn's own default puts
    Arial first, which on Windows would mix two Latin designs.

    A label given an explicit family (``fontfamily="serif"``) gets no
    fallback; matplotlib then warns ``Glyph ... missing from font(s)``.

    A character outside the bundled font (a rare name, say) is reported by
    matplotlib as ``Glyph ... missing from font(s)``; rebuild the font with
    ``tools/build_cjk_font.py`` (see its docstring) or install a full font.

    Examples
    --------
    >>> import seaborn as sns
    >>> from crmlab.theme import use_theme
    >>> use_theme(cjk_font="bundled")
    'crmlab Sans SC'
    >>> ax = sns.barplot(x=["高价值", "一般", "流失"], y=[120, 80, 30])
    >>> _ = ax.set(title="客户分群 (RFM)", xlabel="客户类型", ylabel="平均消费 (元)")

    For slides, bigger fonts:

    >>> use_theme("talk", cjk_font="bundled")
    'crmlab Sans SC'
    """
    # Resolve (and so validate) the font before touching any setting, so a
    # bad argument leaves the notebook's figures as they were.
    family = _resolve_cjk_font(cjk_font)

    import matplotlib as mpl
    import seaborn as sns

    theme_rc = {
        # matplotlib falls back glyph by glyph along the font.family list (a
        # generic name like "sans-serif" stands for the first installed font
        # of its own list): "sans-serif" is DejaVu Sans, then the CJK font.
        "font.family": ["sans-serif", family],
        "font.sans-serif": _font_list(family, mpl.rcParamsDefault["font.sans-serif"]),
        # DejaVu Sans has U+2212, so the proper minus sign can stay on (many
        # recipes turn it off because SimHei lacks the glyph).
        "axes.unicode_minus": True,
        "figure.figsize": tuple(figsize),
        "figure.dpi": dpi,
        "savefig.dpi": "figure",
        "savefig.bbox": "tight",  # keep long Chinese labels inside saved files
        **(rc or {}),
    }
    # set_theme resets everything it owns (style, context, palette) first,
    # which is what makes a second call give the same result as the first.
    sns.set_theme(
        context=context,
        style=style,
        palette=palette,
        font="sans-serif",
        font_scale=font_scale,
        rc=theme_rc,
    )
    return family


#: Okabe & Ito's colours (2008), without black: told apart with any of the common colour-vision
#: deficiencies, where matplotlib's default blue-orange-green-red is not (red against green).
COLOURBLIND_SAFE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442"]

# JupyterLab's own CSS variables for widgets and rendered outputs, raised for a projector: the page
# zooms only the notebook's outputs and controls, not the menus. Pixel sizes, as JupyterLab sets them.
_PROJECTOR_CSS = """
:root {
  --jp-widgets-font-size: 20px; --jp-widgets-inline-height: 36px; --jp-widgets-inline-label-width: 200px;
  --jp-widgets-inline-width: 600px; --jp-widgets-inline-width-short: 300px;
  --jp-widgets-slider-handle-size: 22px; --jp-widgets-slider-track-thickness: 6px;
  --jp-content-font-size1: 20px; --jp-code-font-size: 18px; --jp-ui-font-color1: #000;
  --jp-content-font-color1: #000; --jp-content-font-color0: #000;
}
.jp-OutputArea-output, .jp-OutputArea-output table, .widget-html-content { font-size: 20px; color: #000; }
"""


def projector_mode(on: bool = True, *, cjk_font: str | os.PathLike | None = "auto"):
    """Switch figures and widgets to a style readable from the back of a classroom (投影模式).

    One call, in a notebook cell, changes two things:

    - figures that follow: seaborn's ``"poster"`` context (large fonts, thick
      lines), black text on white, and the colour-blind-safe palette
      :data:`COLOURBLIND_SAFE` (HTML bar charts of the widgets take it too);
    - widgets and outputs in the JupyterLab page: larger controls and text,
      black on white (a ``<style>`` shown by the cell; it applies to the whole
      page until the cell's output is cleared or the page is reloaded).

    ``projector_mode(False)`` puts the figures back to :func:`use_theme`'s
    defaults and the page's style back to JupyterLab's.

    Parameters
    ----------
    on : bool, default True
        Projector style on, or back to normal.
    cjk_font : str or path-like, default "auto"
        As in :func:`use_theme`.

    Returns
    -------
    IPython.display.HTML
        The page style; displayed by the cell as its last expression. Its
        text representation is one line saying which mode is on.

    Examples
    --------
    >>> import matplotlib as mpl
    >>> from matplotlib.colors import to_hex
    >>> from crmlab.theme import projector_mode, COLOURBLIND_SAFE
    >>> style = projector_mode(cjk_font="bundled")
    >>> mpl.rcParams["axes.labelsize"] >= 24 and mpl.rcParams["text.color"] == "black"
    True
    >>> [to_hex(c) for c in mpl.rcParams["axes.prop_cycle"].by_key()["color"][:2]]
    ['#0072b2', '#e69f00']
    >>> style
    crmlab projector mode: on (large, high-contrast, colour-blind-safe figures and widgets)
    >>> projector_mode(False, cjk_font="bundled")
    crmlab projector mode: off
    """
    from IPython.display import HTML

    if on:
        use_theme("poster", cjk_font=cjk_font, palette=COLOURBLIND_SAFE, figsize=(11.0, 6.0),
                  rc={"text.color": "black", "axes.labelcolor": "black", "xtick.color": "black",
                      "ytick.color": "black", "axes.edgecolor": "black", "grid.color": "0.75"})
        said = "on (large, high-contrast, colour-blind-safe figures and widgets)"
    else:
        use_theme(cjk_font=cjk_font)
        said = "off"

    class _Style(HTML):
        def __repr__(self):
            return f"crmlab projector mode: {said}"

    # Off shows an empty style, which replaces the projector style only when shown in the same cell's
    # output; the page keeps a style shown elsewhere until that output is cleared (said in the docstring).
    return _Style(f"<style>{_PROJECTOR_CSS if on else ''}</style>"
                  f"<p style='font-size:smaller;color:#555'>crmlab projector mode: {said}</p>")


@functools.cache
def _bxp_has_orientation() -> bool:
    # matplotlib 3.10 added Axes.bxp(orientation=...) and deprecated vert=.
    import inspect

    from matplotlib.axes import Axes

    return "orientation" in inspect.signature(Axes.bxp).parameters


def boxplot(data=None, *, ax=None, **kwargs):
    """Draw ``seaborn.boxplot`` without matplotlib's ``vert`` deprecation (箱线图).

    seaborn 0.13.2 draws boxes with ``Axes.bxp(vert=...)``. matplotlib 3.10
    replaced ``vert: bool`` with ``orientation: {"vertical", "horizontal"}``
    and 3.11 warns on every use (``MatplotlibDeprecationWarning: vert: bool
    was deprecated in Matplotlib 3.11 and will be removed in 3.13``); in
    3.13 plain ``sns.boxplot`` will stop working. This function calls
    ``seaborn.boxplot`` unchanged, except that seaborn's ``vert=`` is passed
    on to matplotlib as the equivalent ``orientation=``, so the figure is the
    same and nothing deprecated is called.

    Parameters
    ----------
    data : DataFrame, array or list of arrays, optional
        As in ``seaborn.boxplot``.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; the current axes (``plt.gca()``) by default.
    **kwargs
        Any other argument of ``seaborn.boxplot`` (``x``, ``y``, ``hue``,
        ``order``, ``orient``, ``whis``, ``fill``, ...).

    Returns
    -------
    matplotlib.axes.Axes
        The axes with the plot, as ``seaborn.boxplot`` returns.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmlab.theme import boxplot
    >>> df = pd.DataFrame({"客户类型": ["新客", "新客", "老客", "老客"],
    ...                    "消费金额": [120, 80, 300, 260]})
    >>> ax = boxplot(df, x="客户类型", y="消费金额")
    >>> ax = boxplot(df, x="消费金额", y="客户类型")     # horizontal 横向
    """
    import matplotlib.pyplot as plt
    import seaborn as sns

    if ax is None:
        ax = plt.gca()
    if not _bxp_has_orientation():
        return sns.boxplot(data=data, ax=ax, **kwargs)  # old matplotlib: vert= is current

    original = ax.bxp

    @functools.wraps(original)
    def bxp(*args, vert=None, **bxp_kwargs):
        if vert is not None:
            bxp_kwargs["orientation"] = "vertical" if vert else "horizontal"
        return original(*args, **bxp_kwargs)

    # Only this Axes, only for this call: the instance attribute shadows the
    # method and is removed again, whatever happens.
    ax.bxp = bxp
    try:
        return sns.boxplot(data=data, ax=ax, **kwargs)
    finally:
        del ax.bxp
