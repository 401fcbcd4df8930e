"""Figure of the attitude × behaviour loyalty matrix (态度—行为忠诚矩阵图)."""
from __future__ import annotations

from crmlab.loyalty import MATRIX_LABELS
from crmlab.plots._figure import axes

__all__ = ["loyalty_matrix_chart"]


def loyalty_matrix_chart(matrix, *, ax=None):
    """The four cells of Dick & Basu's matrix with their counts and shares.

    Parameters
    ----------
    matrix : DataFrame
        From :func:`crmlab.loyalty.loyalty_matrix` (column ``loyalty``).
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
        The 2 x 2 grid, each cell with its name, count and share.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmlab.loyalty import loyalty_matrix
    >>> f = pd.DataFrame({"attitude_like": [5, 5, 1, 2], "attitude_prefer": [4, 5, 2, 1],
    ...                   "purchases_window": [6, 0, 5, 1]})
    >>> ax = loyalty_matrix_chart(loyalty_matrix(f))
    >>> [t.get_text().split("\\n")[1] for t in ax.texts]   # one customer in each cell
    ['1 (25%)', '1 (25%)', '1 (25%)', '1 (25%)']
    >>> ax.texts[0].get_text().split("\\n")[0]             # top left: high attitude, high repeat buying
    '真正忠诚 true loyalty'
    """
    import numpy as np

    ax = axes(ax, (6.5, 4.5))
    counts = matrix["loyalty"].value_counts().reindex(list(MATRIX_LABELS), fill_value=0)
    # rows: attitude high, low; columns: repeat buying high, low
    grid = np.array([[counts["true_loyalty"], counts["latent_loyalty"]],
                     [counts["spurious_loyalty"], counts["no_loyalty"]]])
    names = [["true_loyalty", "latent_loyalty"], ["spurious_loyalty", "no_loyalty"]]
    ax.imshow(grid, cmap="Blues", vmin=0, vmax=grid.max() * 1.6)
    for i in range(2):
        for j in range(2):
            ax.text(j, i, f"{MATRIX_LABELS[names[i][j]]}\n{grid[i, j]} ({grid[i, j] / grid.sum():.0%})",
                    ha="center", va="center", fontsize=10)
    ax.set_xticks([0, 1], ["高 high", "低 low"])
    ax.set_yticks([0, 1], ["高 high", "低 low"])
    ax.set(xlabel="重复购买行为 Repeat buying", ylabel="态度 Attitude", title="态度—行为忠诚矩阵 (Dick & Basu)")
    ax.grid(False)
    return ax
