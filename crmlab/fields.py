"""Cleaning the fields that identify a person (字段清洗): names, phones, e-mails, ID numbers, cities.

Each ``normalise_*`` function takes the values of one field as typed in a
record silo and returns their standard form, or ``<NA>`` where a value cannot
be read. :mod:`crmlab.identify` matches records on these forms,
:mod:`crmlab.quality` measures how many values already are in standard form,
and :mod:`crmlab.privacy` masks them.

Traditional characters become simplified ones with OpenCC (``opencc``), names
become pinyin with ``pypinyin``; both are imported only when first needed.
"""
from __future__ import annotations

import functools

import numpy as np
import pandas as pd

__all__ = ["normalise_name", "name_pinyin", "login_sound", "normalise_phone", "normalise_email",
           "normalise_id_number", "id_number_valid", "normalise_city"]

# GB 11643-1999: weights of the 17 digits and the check character for (sum mod 11).
_ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
_ID_CHECK_BYTES = np.frombuffer(b"10X98765432", dtype=np.uint8)
_EMAIL = r"[a-z0-9._%+\-]+@[a-z0-9\-]+(\.[a-z0-9\-]+)*\.[a-z]{2,}"
_MOBILE = r"1[3-9]\d{9}"


def _per_value(func):
    """Make ``func`` a normaliser that works on the distinct values only, then spreads the results back.

    Silos repeat the same city, name or e-mail many times; working on the
    distinct values keeps a million records fast. ``func`` gets a string
    Series, NFKC-folded (full-width forms become ASCII) and stripped, blanks
    as ``<NA>``, and returns one on the same index.
    """
    @functools.wraps(func)
    def normaliser(values) -> pd.Series:
        s = pd.Series(values, copy=False)
        codes, uniques = pd.factorize(s.astype("string"))
        text = pd.Series(uniques, dtype="string").str.normalize("NFKC").str.strip()
        done = np.append(func(text.mask(text == "")).to_numpy(dtype=object), None)  # code -1 (missing) -> None
        return pd.Series(done[codes], index=s.index, dtype="string")
    return normaliser


@functools.lru_cache(maxsize=1)
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


def _simplified(text: pd.Series) -> pd.Series:
    convert = _t2s().convert
    return text.map(lambda v: convert(v) if isinstance(v, str) else v).astype("string")


def _name(text: pd.Series) -> pd.Series:
    text = text.str.replace(r"\s+", "", regex=True).str.lower()
    return _simplified(text.mask(text == ""))


def _pinyin(names: pd.Series) -> pd.Series:
    # Character by character: a name has no context that would change the reading, and the
    # same character always gets the same sound, which is what matching needs.
    from pypinyin import lazy_pinyin

    chars = sorted(set("".join(names.dropna())))
    sound = dict(zip(chars, (lazy_pinyin(c)[0].lower() for c in chars)))
    return names.map(lambda v: "".join(sound[c] for c in v) if isinstance(v, str) else v).astype("string")


@_per_value
def login_sound(values) -> pd.Series:
    """The letters of a login name such as ``zhangwei88`` (often the pinyin of the name), or ``<NA>``.

    Examples
    --------
    >>> login_sound(["ZhangWei88", "12345", None]).tolist()
    ['zhangwei', <NA>, <NA>]
    """
    letters = values.str.lower().str.replace(r"[^a-z]", "", regex=True)
    return letters.mask(letters == "")


@_per_value
def normalise_name(values) -> pd.Series:
    """Chinese or Latin names in one standard form (姓名标准化).

    Full-width letters become ASCII (NFKC), spaces go, Latin letters are
    lower-cased, and traditional characters (繁体字) become simplified ones
    (简体字) with OpenCC, so 張偉 and 张伟 compare equal.

    Parameters
    ----------
    values : array-like of str
        Names as typed; blanks and missing values give ``<NA>``.

    Returns
    -------
    Series of str

    Examples
    --------
    >>> normalise_name(["張偉", " 王 丽 ", "Ｌｉ Ｍｉｎｇ", None]).tolist()
    ['张伟', '王丽', 'liming', <NA>]
    """
    return _name(values)


@_per_value
def name_pinyin(values) -> pd.Series:
    """The sound of a name: its pinyin (拼音) without tones, e.g. 陈晨 → ``chenchen``.

    Two names with the same pinyin but different characters are homophones
    (同音字), the typical typo of a clerk who heard the name on the phone.
    Names are normalised first (:func:`normalise_name`); each character gets
    its most common reading (pypinyin), Latin letters stay as they are.

    Examples
    --------
    >>> name_pinyin(["陈晨", "陳辰", "王丽"]).tolist()
    ['chenchen', 'chenchen', 'wangli']
    """
    return _pinyin(_name(values))


@_per_value
def normalise_phone(values) -> pd.Series:
    """Mainland mobile numbers (手机号) as 11 digits, or ``<NA>`` if not a mobile number.

    Full-width digits (全角) become ASCII, spaces, dashes, brackets and dots
    go, and the country code (+86, 0086, 86) is removed.

    Examples
    --------
    >>> normalise_phone(["+86 199 0298 2526", "199-0002-6500", "１９９０３７０８１９４", "12345", None]).tolist()
    ['19902982526', '19900026500', '19903708194', <NA>, <NA>]
    """
    digits = values.str.replace(r"\D", "", regex=True).str.replace(r"^(?:0086|86)(?=1\d{10}$)", "", regex=True)
    return digits.where(digits.str.fullmatch(_MOBILE).fillna(False).astype(bool))


@_per_value
def normalise_email(values) -> pd.Series:
    """E-mail addresses (电子邮箱) in lower case, or ``<NA>`` if not an address.

    Mail systems treat the address case-insensitively in practice, so
    ``WANGLI@EXAMPLE.CN`` and ``wangli@example.cn`` are the same mailbox.

    Examples
    --------
    >>> normalise_email([" XULEI37@EXAMPLE.COM", "not an address", "ｌｉ@example.cn"]).tolist()
    ['xulei37@example.com', <NA>, 'li@example.cn']
    """
    values = values.str.lower()
    return values.where(values.str.fullmatch(_EMAIL).fillna(False).astype(bool))


@_per_value
def normalise_id_number(values) -> pd.Series:
    """Resident ID numbers (居民身份证号) as 18 characters (17 digits and a digit or X), else ``<NA>``.

    Only the form is standardised (full-width digits, spaces, a lower-case
    x); whether the number is *correct* is :func:`id_number_valid`.

    Examples
    --------
    >>> normalise_id_number(["99010119930109672x", "9901 0119 9301 0967 23", "12345"]).tolist()
    ['99010119930109672X', '990101199301096723', <NA>]
    """
    values = values.str.replace(r"\s+", "", regex=True).str.upper()
    return values.where(values.str.fullmatch(r"\d{17}[\dX]").fillna(False).astype(bool))


def id_number_valid(values) -> pd.Series:
    """Whether each resident ID number is well formed: 18 characters, a real birth date, the right check character.

    The 18th character is a check (校验码) computed from the first 17 digits
    (GB 11643-1999: weighted sum mod 11), so a single mistyped digit is caught.
    Missing or malformed numbers give ``False``.

    Examples
    --------
    >>> id_number_valid(["990101199301096723", "990101199301096724", "990101199302306723", None]).tolist()
    [True, False, False, False]
    """
    ids = normalise_id_number(values)
    ok = ids.notna().to_numpy()
    valid = np.zeros(len(ids), dtype=bool)
    if ok.any():
        text = ids[ok].to_numpy(dtype=str).astype("S18")
        chars = np.frombuffer(text.tobytes(), dtype=np.uint8).reshape(-1, 18)
        check_ok = _ID_CHECK_BYTES[(chars[:, :17].astype(np.int64) - ord("0")) @ _ID_WEIGHTS % 11] == chars[:, 17]
        born = pd.to_datetime(pd.Series(text.astype(str)).str[6:14], format="%Y%m%d", errors="coerce").notna()
        valid[ok] = check_ok & born.to_numpy()
    return pd.Series(valid, index=ids.index)


@_per_value
def normalise_city(values) -> pd.Series:
    """City names (城市) in simplified characters without the suffix 市, e.g. 鄭州市 → 郑州.

    Examples
    --------
    >>> normalise_city(["鄭州市", "北京", " 上海 "]).tolist()
    ['郑州', '北京', '上海']
    """
    values = values.str.replace(r"\s+", "", regex=True).str.replace(r"市$", "", regex=True)
    return _simplified(values.mask(values == ""))
