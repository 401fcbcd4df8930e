"""crmlab.plots.differentiate: the charts show the numbers of the tables they draw; the classroom control redraws."""
import warnings

import matplotlib
import numpy as np
import pandas as pd
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from crmlab import airline  # noqa: E402
from crmlab.pareto import lorenz_curve  # noqa: E402
from crmlab.plots.differentiate import (class_chart, lorenz_chart, lrfmc_profile_chart, rfm_split_explorer,  # noqa: E402
                                        segment_grid_chart)
from crmlab.rfm import rfm_classes, rfm_scores, rfm_segments, rfm_summary  # noqa: E402


@pytest.fixture(autouse=True)
def _theme():
    from crmlab.theme import use_theme

    with matplotlib.rc_context():  # use_theme changes rcParams: undo it after each test
        use_theme(cjk_font="bundled")
        yield
        plt.close("all")


@pytest.fixture(scope="module")
def rfm():
    rng = np.random.default_rng(4)
    n = 400
    return pd.DataFrame({"recency_days": rng.integers(1, 700, n), "frequency": rng.geometric(0.4, n),
                         "monetary": np.round(rng.gamma(1.5, 300, n), 2)}, index=[f"C{i:04d}" for i in range(n)])


def test_segment_grid_shows_every_customer_once(rfm):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ax = segment_grid_chart(rfm_segments(rfm_scores(rfm)))
    counts = [int(t.get_text().split("\n")[1].replace(",", "")) for t in ax.texts]
    assert len(counts) == 25 and sum(counts) == len(rfm)


def test_class_chart_bars_are_the_shares(rfm):
    classes = rfm_classes(rfm)
    ax = class_chart(classes)
    widths = sorted(round(p.get_width(), 6) for p in ax.patches)
    shares = classes["rfm_class"].value_counts(normalize=True)
    assert set(np.round(shares.to_numpy(), 6)) <= set(widths)
    assert "recency" in ax.get_title()


def test_lorenz_chart_draws_the_curve():
    curve = lorenz_curve(pd.Series([1.0, 2.0, 3.0, 10.0]))
    ax = lorenz_chart(curve, gini=0.4)
    assert ax.lines[1].get_ydata().tolist() == curve["share_value"].tolist()
    assert "0.40" in ax.get_title()


def test_lrfmc_profile_chart_one_line_per_cluster():
    centres = airline.PROFILES.add_prefix("z_").reset_index(drop=True).assign(members=1, share=0.2)
    ax = lrfmc_profile_chart(airline.name_clusters(centres))
    assert len(ax.lines) == 5 + 1  # five clusters and the zero line


def _shown_counts(html: str) -> list[int]:
    from bs4 import BeautifulSoup

    rows = BeautifulSoup(html, "html.parser").find("tbody").find_all("tr")
    return [int(tr.find_all("td")[1].get_text().replace(",", "")) for tr in rows]


def test_split_explorer_redraws_when_a_slider_moves(rfm):
    box = rfm_split_explorer(rfm)
    recency, frequency, monetary, out = box.children
    assert recency.value == int(rfm["recency_days"].mean())  # at most the mean: rounded down
    assert frequency.value == int(np.ceil(rfm["frequency"].mean()))  # at least the mean: rounded up

    def expected():
        split = {"recency": recency.value, "frequency": frequency.value, "monetary": monetary.value}
        return rfm_summary(rfm_classes(rfm, split=split), by="rfm_class")["customers"].tolist()

    first = _shown_counts(out.value)
    assert first == expected() and sum(first) == len(rfm)
    frequency.value = frequency.value + 1
    assert _shown_counts(out.value) == expected() != first  # the table follows the slider
    assert f"frequency {frequency.value}," in out.value
    assert plt.get_fignums() == []  # nothing drawn into the notebook cell


def test_split_explorer_needs_recency_in_days(rfm):
    from crmlab.validation import CrmlabInputError

    with pytest.raises(CrmlabInputError, match="recency in days"):
        rfm_split_explorer(rfm.rename(columns={"recency_days": "recency_weeks"}))
