"""Synthetic identities for the generator: names, phones, e-mails, ID numbers,
and the noise with which the three silos record them. Vectorised over arrays."""
from __future__ import annotations

import numpy as np

# (simplified, pinyin, traditional, relative frequency)
SURNAMES = [
    ("王", "wang", "王", 7.1), ("李", "li", "李", 7.0), ("张", "zhang", "張", 6.7),
    ("刘", "liu", "劉", 5.4), ("陈", "chen", "陳", 4.5), ("杨", "yang", "楊", 3.1),
    ("赵", "zhao", "趙", 2.3), ("黄", "huang", "黃", 2.2), ("周", "zhou", "周", 2.1),
    ("吴", "wu", "吳", 2.0), ("徐", "xu", "徐", 1.7), ("孙", "sun", "孫", 1.5),
    ("胡", "hu", "胡", 1.3), ("朱", "zhu", "朱", 1.3), ("高", "gao", "高", 1.2),
    ("林", "lin", "林", 1.2), ("何", "he", "何", 1.2), ("郭", "guo", "郭", 1.1),
    ("马", "ma", "馬", 1.1), ("罗", "luo", "羅", 0.9), ("梁", "liang", "梁", 0.9),
    ("宋", "song", "宋", 0.8), ("郑", "zheng", "鄭", 0.8), ("谢", "xie", "謝", 0.7),
    ("韩", "han", "韓", 0.7), ("唐", "tang", "唐", 0.7), ("冯", "feng", "馮", 0.7),
    ("于", "yu", "于", 0.6), ("董", "dong", "董", 0.6), ("萧", "xiao", "蕭", 0.5),
]
# (simplified, pinyin, traditional, homophone a clerk might type instead)
GIVEN = [
    ("伟", "wei", "偉", "玮"), ("芳", "fang", "芳", "方"), ("娜", "na", "娜", "纳"),
    ("秀", "xiu", "秀", "琇"), ("敏", "min", "敏", "闽"), ("静", "jing", "靜", "婧"),
    ("丽", "li", "麗", "莉"), ("强", "qiang", "強", "蔷"), ("磊", "lei", "磊", "蕾"),
    ("军", "jun", "軍", "君"), ("洋", "yang", "洋", "阳"), ("勇", "yong", "勇", "永"),
    ("艳", "yan", "艷", "燕"), ("杰", "jie", "傑", "洁"), ("娟", "juan", "娟", "鹃"),
    ("涛", "tao", "濤", "韬"), ("明", "ming", "明", "铭"), ("超", "chao", "超", "潮"),
    ("霞", "xia", "霞", "夏"), ("平", "ping", "平", "萍"), ("刚", "gang", "剛", "钢"),
    ("华", "hua", "華", "桦"), ("红", "hong", "紅", "鸿"), ("建", "jian", "建", "健"),
    ("国", "guo", "國", "果"), ("文", "wen", "文", "雯"), ("辉", "hui", "輝", "晖"),
    ("玲", "ling", "玲", "铃"), ("鹏", "peng", "鵬", "朋"), ("宇", "yu", "宇", "雨"),
    ("浩", "hao", "浩", "昊"), ("欣", "xin", "欣", "鑫"), ("婷", "ting", "婷", "亭"),
    ("雪", "xue", "雪", "学"), ("琳", "lin", "琳", "林"), ("晨", "chen", "晨", "辰"),
    ("梅", "mei", "梅", "玫"), ("龙", "long", "龍", "隆"), ("飞", "fei", "飛", "菲"),
    ("兰", "lan", "蘭", "岚"), ("凤", "feng", "鳳", "峰"), ("志", "zhi", "志", "智"),
    ("海", "hai", "海", "凯"), ("东", "dong", "東", "冬"), ("佳", "jia", "佳", "嘉"),
    ("颖", "ying", "穎", "莹"), ("子", "zi", "子", "紫"), ("轩", "xuan", "軒", "宣"),
    ("怡", "yi", "怡", "仪"), ("涵", "han", "涵", "晗"), ("睿", "rui", "睿", "瑞"),
    ("博", "bo", "博", "波"),
]
EMAIL_DOMAINS = np.array(["example.com", "example.cn", "example.net"])
_ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
_ID_CHECK = np.array(list("10X98765432"))


def _lookup(table, column):
    return np.array([row[column] for row in table])


def draw_names(rng, n):
    """Return index arrays (surname, given1, given2; given2 = -1 for two-character names)."""
    weights = _lookup(SURNAMES, 3).astype(float)
    sur = rng.choice(len(SURNAMES), size=n, p=weights / weights.sum())
    g1 = rng.integers(0, len(GIVEN), size=n)
    g2 = np.where(rng.random(n) < 0.6, rng.integers(0, len(GIVEN), size=n), -1)
    return sur, g1, g2


def join_text(*parts):
    """Element-wise concatenation of string arrays (and scalars)."""
    out = parts[0]
    for p in parts[1:]:
        out = np.char.add(out, p)
    return out


def render_name(sur, g1, g2, *, traditional=None, typo=None):
    """Chinese name strings; optional boolean masks switch to traditional forms or a homophone typo."""
    n = len(sur)
    traditional = np.zeros(n, bool) if traditional is None else traditional
    typo = np.zeros(n, bool) if typo is None else typo
    s = np.where(traditional, _lookup(SURNAMES, 2)[sur], _lookup(SURNAMES, 0)[sur])
    given_simp, given_trad, given_typo = (_lookup(GIVEN, k) for k in (0, 2, 3))
    first = np.where(traditional, given_trad[g1], given_simp[g1])
    # A typo hits the last character, the one a clerk is least sure of.
    last_idx = np.where(g2 >= 0, g2, 0)
    last = np.where(traditional, given_trad[last_idx], given_simp[last_idx])
    last = np.where(typo, given_typo[last_idx], last)
    first = np.where(typo & (g2 < 0), given_typo[g1], first)
    return join_text(s, first, np.where(g2 >= 0, last, ""))


def pinyin_handle(sur, g1, g2, index, rng):
    """Login-style handle from the pinyin of the name, e.g. ``zhangwei12045``.

    The digits are the customer index followed by three random ones, so no two
    customers share a handle (or the e-mail made from it), however common the name.
    """
    py = _lookup(GIVEN, 1)
    given = join_text(py[g1], np.where(g2 >= 0, py[np.maximum(g2, 0)], ""))
    digits = (np.asarray(index, dtype=np.int64) * 1000 + rng.integers(1, 1000, size=len(sur))).astype(str)
    return join_text(_lookup(SURNAMES, 1)[sur], given, digits)


def phone_numbers(index):
    """Unique synthetic mobile numbers 1990xxxxxxx from a customer index (a fixed permutation)."""
    index = np.asarray(index, dtype=np.int64)
    return np.char.add("1990", np.char.zfill(((index * 7_919_077 + 1_234_567) % 10_000_000).astype(str), 7))


def format_phones(phones, rng, style_probs):
    """Write canonical numbers the ways people type them.

    ``style_probs`` gives the probability of each style in order: plain,
    3-4-4 with spaces, dashes, +86 prefix, +86 no space, full-width digits.
    """
    p = np.ascontiguousarray(np.asarray(phones).astype("U11"))
    chars = p.view("U1").reshape(-1, 11)
    a, b, c = (np.ascontiguousarray(chars[:, s]).view(f"U{s.stop - s.start}").ravel()
               for s in (slice(0, 3), slice(3, 7), slice(7, 11)))
    # Full-width digits (全角) sit 0xFEE0 code points above ASCII ones.
    wide = (p.view(np.uint32) + 0xFEE0).view("U11")
    styles = [
        p,
        join_text(a, " ", b, " ", c),
        join_text(a, "-", b, "-", c),
        join_text("+86 ", a, " ", b, " ", c),
        np.char.add("+86", p),
        wide,
    ]
    pick = rng.choice(len(styles), size=len(p), p=style_probs)
    out = np.empty(len(p), dtype=object)
    for k, s in enumerate(styles):
        out[pick == k] = s[pick == k]
    return out


def emails(handles, rng):
    dom = EMAIL_DOMAINS[rng.integers(0, len(EMAIL_DOMAINS), size=len(handles))]
    return join_text(handles, "@", dom)


def id_numbers(city_code, birth_year, male, rng):
    """Synthetic resident ID numbers (GB 11643 layout, valid check digit, region 99cc01)."""
    n = len(birth_year)
    region = np.char.add(np.char.add("99", np.char.zfill(np.asarray(city_code).astype(str), 2)), "01")
    day_of_year = rng.integers(0, 365, size=n)
    birth = ((np.asarray(birth_year) - 1970).astype("datetime64[Y]").astype("datetime64[D]")
             + day_of_year.astype("timedelta64[D]"))
    ymd = np.char.replace(np.datetime_as_string(birth, unit="D"), "-", "")
    seq = rng.integers(0, 500, size=n) * 2 + np.asarray(male, dtype=int)  # odd = male
    body = join_text(region, ymd, np.char.zfill(seq.astype(str), 3))
    digits = np.frombuffer(body.astype("S17").tobytes(), dtype=np.uint8).reshape(n, 17) - ord("0")
    check = _ID_CHECK[(digits @ _ID_WEIGHTS) % 11]
    return np.char.add(body, check)
