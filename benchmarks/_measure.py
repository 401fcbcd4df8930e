"""What every benchmark reports besides time: the peak memory of its process."""
import resource
import sys


def peak_rss_mb() -> float:
    """Peak resident set size of this process in MB (Linux and macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024 if sys.platform == "darwin" else 1024)  # bytes on macOS, KiB on Linux
