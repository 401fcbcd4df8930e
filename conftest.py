"""Settings for every test run from the repository: the figures of docstring examples and tests draw
off-screen (no window, the same on a laptop as on a server)."""
import matplotlib

matplotlib.use("Agg")
