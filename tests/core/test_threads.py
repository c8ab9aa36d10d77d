"""The design loops' BLAS thread limit."""

from threadpoolctl import threadpool_info

from rfdesign.core.threads import one_blas_thread


def blas_threads() -> list[int]:
    return [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]


def test_one_blas_thread_inside_and_the_default_after():
    before = blas_threads()

    @one_blas_thread
    def inside(x: int) -> tuple[int, list[int]]:
        return x + 1, blas_threads()

    value, during = inside(1)
    assert value == 2 and all(n == 1 for n in during)
    assert blas_threads() == before
    assert inside.__name__ == "inside"
