"""IRWE refuses an identity_dim wider than its identity features before any walk is run."""

import importlib

import networkx as nx
import pytest

import graphembed as ge
from graphembed import IRWE
from graphembed import walks as W
from graphembed.methods import embed

I = importlib.import_module("graphembed.irwe")  # the module (ge.irwe is the function)


class WalkedError(AssertionError):
    pass


@pytest.fixture
def no_walks(monkeypatch):
    """Any walk statistics or co-occurrence computed from here on fails the test."""
    def refuse(*args, **kwargs):
        raise WalkedError("walk statistics computed before the parameters were checked")

    monkeypatch.setattr(I, "walk_statistics", refuse)  # the names IRWE calls
    monkeypatch.setattr(I, "cooccurrence", refuse)


def looped(G):
    """G with a self-loop at node 0, kept (anonymous walks may then repeat a label: more of
    them, so more features)."""
    G = G.copy()
    G.add_edge(0, 0)
    g = ge.as_csr(G, self_loops="keep")
    assert W._has_self_loops(g)
    return g


def true_width(G, steps, degree_steps):
    """The identity features' width as the statistics themselves have it (a few walks)."""
    st = W.walk_statistics(G, steps=steps, walks_per_node=2, degree_steps=degree_steps,
                           streams="node")
    return st.features().shape[1]


CASES = [((2,), -1), ((2,), 0), ((2, 3), 2), ((3, 5), 1), ((1, 4), -1)]


@pytest.mark.parametrize("self_loop", [False, True])
@pytest.mark.parametrize("steps,degree_steps", CASES)
def test_identity_dim_over_the_features_fails_before_any_walk(steps, degree_steps, self_loop,
                                                               monkeypatch):
    G = nx.barabasi_albert_graph(400, 2, seed=3)
    G = looped(G) if self_loop else G
    width = true_width(G, steps, degree_steps)  # before walks are refused
    assert width < 400  # so the width, not the node count, is what fails
    monkeypatch.setattr(I, "walk_statistics", _refuse)
    monkeypatch.setattr(I, "cooccurrence", _refuse)
    # one identity feature too many: the clear error, naming parameter, value and fix
    for call in (
        lambda: ge.irwe(G, dim=width + 1, identity_dim=width + 1, position_dim=0,
                        steps=steps, degree_steps=degree_steps),
        lambda: IRWE(2 * width + 2, steps=steps, degree_steps=degree_steps).fit(G),
        lambda: IRWE(width + 1, identity_dim=width + 1, position_dim=0, steps=steps,
                     degree_steps=degree_steps).statistics(G),
    ):
        with pytest.raises(ValueError) as e:
            call()
        msg = str(e.value)
        assert f"identity_dim={width + 1} exceeds the {width} identity features" in msg
        assert "lower identity_dim" in msg and f"at most {width}" in msg
    # exactly as many is allowed: the check passes and the walks start (and are refused)
    with pytest.raises(WalkedError):
        ge.irwe(G, dim=width, identity_dim=width, position_dim=0, steps=steps,
                degree_steps=degree_steps)


def _refuse(*args, **kwargs):
    raise WalkedError("walk statistics computed before the parameters were checked")


def test_registry_and_default_steps_fail_first(no_walks, karate):
    # default steps 2..7 and degree_steps=2 give 1,264 features on a graph without self-loops
    big = 1265
    G = nx.path_graph(2000)
    with pytest.raises(ValueError, match="identity_dim=1265 exceeds the 1264 identity features"):
        embed(G, "irwe_identity", dim=big, params={"identity_walks": 5})
    with pytest.raises(ValueError, match="identity_dim=1265 exceeds the 1264 identity features"):
        IRWE(big, identity_dim=big, position_dim=0).fit(G)


def test_identity_dim_over_the_nodes_fails_before_any_walk(no_walks, karate):
    with pytest.raises(ValueError, match="identity_dim=40 exceeds the number of nodes \\(34\\)"):
        IRWE(40, identity_dim=40, position_dim=0).fit(karate)
