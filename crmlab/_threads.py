"""One BLAS thread for the small-matrix numerical work inside optimisers."""


def one_blas_thread():
    """Context manager: BLAS calls inside it run on one thread.

    The CLV and contact-fatigue likelihoods are vector products over a few
    thousand rows, evaluated hundreds of times by scipy's optimisers. Split
    over threads, each product costs more in hand-offs than it saves, and on a
    busy machine the second thread waits for a core: with one of two cores
    busy, the BG/NBD and Gamma-Gamma fits took 2-3x longer on two BLAS threads
    than on one (``python benchmarks/clv_fit.py --busy``). One thread also adds
    in one order, so the estimates do not depend on the number of cores.
    """
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="blas")
