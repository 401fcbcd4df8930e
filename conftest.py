"""Settings for every test run from the repository: the figures of docstring examples and tests draw
off-screen (no window, the same on a laptop as on a server) and are closed after each test."""
import matplotlib
import pytest

matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def _close_figures():
    """Close the figures a test or docstring example drew, so examples need no clean-up line."""
    yield
    import matplotlib.pyplot as plt

    plt.close("all")
