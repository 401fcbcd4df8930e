"""The Axes a chart draws on, shared by the plot modules."""
from __future__ import annotations


def axes(ax, figsize):
    """``ax`` when given, else the Axes of a new figure of ``figsize`` inches (matplotlib imported only here,
    when a chart is drawn, so that ``import crmlab`` stays light)."""
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=figsize)[1] if ax is None else ax
