"""One BLAS thread for the small-matrix numerical work inside optimisers."""


def one_blas_thread():
    """Context manager: BLAS calls inside it run on one thread.

    The CLV and contact-fatigue likelihoods are vector products over a few
    thousand rows, evaluated hundreds of times by scipy's optimisers. Split
    over threads, each product costs more in hand-offs than it saves, and on a
    busy machine the second thread waits for a core: the fits were 2-10x
    slower with two BLAS threads than with one (``benchmarks/clv_fit.py
    --busy``). One thread also adds in one order, so the estimates do not
    depend on how many cores the machine has.
    """
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="blas")
