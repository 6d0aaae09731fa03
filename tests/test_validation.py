"""Boundary checks: each message names the parameter and the value received."""

import numba
import numpy as np
import pytest

from graphembed._validation import check_choice, check_float, check_int, check_seed, threads


def test_check_int():
    assert check_int("dim", np.int32(5), minimum=1) == 5
    with pytest.raises(ValueError, match="dim must be an integer >= 1, got 0"):
        check_int("dim", 0, minimum=1)
    with pytest.raises(ValueError, match="k must be an integer <= 3, got 4"):
        check_int("k", 4, maximum=3)
    for bad in (2.0, "3", True, None):
        with pytest.raises(TypeError, match="dim must be an integer"):
            check_int("dim", bad)


def test_check_float():
    assert check_float("beta", -0.5) == -0.5
    for bad in (float("nan"), float("inf")):
        with pytest.raises(ValueError, match="beta must be a finite number"):
            check_float("beta", bad)
    with pytest.raises(ValueError, match="p must be > 0"):
        check_float("p", 0.0, minimum=0, strict_min=True)
    with pytest.raises(ValueError, match="p must be <= 1"):
        check_float("p", 1.5, maximum=1)
    with pytest.raises(TypeError, match="beta must be a real number"):
        check_float("beta", "0.5")


def test_check_choice_and_seed():
    assert check_choice("transition", "mean", ("mean", "sum")) == "mean"
    with pytest.raises(ValueError, match="transition must be one of 'mean', 'sum', got 'avg'"):
        check_choice("transition", "avg", ("mean", "sum"))
    assert check_seed("random_state", 2**64 - 1) == 2**64 - 1
    with pytest.raises(TypeError, match="random_state must be an integer seed, got None"):
        check_seed("random_state", None)
    with pytest.raises(ValueError, match="random_state must be an integer >= 0"):
        check_seed("random_state", -1)


def test_threads_restores_the_previous_setting():
    before = numba.get_num_threads()
    with threads(1) as n:
        assert n == 1 and numba.get_num_threads() == 1
    assert numba.get_num_threads() == before
    with pytest.raises(RuntimeError):
        with threads(1):
            raise RuntimeError("boom")
    assert numba.get_num_threads() == before
    with threads(None) as n:
        assert n == before
    with pytest.raises(ValueError, match="num_threads must be an integer <="):
        with threads(numba.config.NUMBA_NUM_THREADS + 1):
            pass
