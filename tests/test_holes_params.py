"""Every registered method parameter does something: no option is checked by name only.

For each method of the registry (what the CLI's ``-p name=value``, the evaluation script and the
Spark jobs pass through) and each of its parameters, the embedding with the parameter set to
another value differs from the embedding without it. A parameter that the adapter drops, or
that the function reads and ignores, fails here. The table must name every registered
parameter, so a new one needs a value here too.
"""

import networkx as nx
import numpy as np
import pytest

from graphembed.methods import METHODS, embed

# cheap base settings (the walk methods' defaults take seconds on karate)
BASE = {
    "irwe": {"identity_walks": "30", "walks_per_node": "3", "walk_length": "10",
             "steps": "2,3,4"},
    "irwe_identity": {"identity_walks": "30", "steps": "2,3,4"},
    "irwe_position": {"walks_per_node": "3", "walk_length": "10"},
}

# another value of every parameter (text, as on the command line)
OTHER = {
    "fastrp": {"iteration_weights": "1,2", "normalization_strength": "0.3", "sparsity": "1",
               "transition": "sum", "normalize": "false", "standardize": "false",
               "self_influence": "0.5", "direction": "in", "degree_share": "0.5"},
    "spectral": {"eigenvalue_power": "0.5", "regularization": "0.1", "rounds": "1",
                 "degree": "2", "oversampling": "3", "normalize": "false",
                 "degree_share": "0.5"},
    "degree": {},
    "orbits": {"keys": "1,0,0;1,1,2;2,1,1", "transform": "log",
               "reduction": "random_projection"},
    "irwe": {"steps": "2,3", "identity_walks": "40", "degree_steps": "-1", "p": "0.5",
             "q": "2", "walk_length": "12", "walks_per_node": "4", "window": "4",
             "negative": "3", "identity_dim": "4", "position_dim": "8"},
    "irwe_identity": {"steps": "2,3", "identity_walks": "40", "degree_steps": "-1", "p": "0.5",
                      "q": "2"},
    "irwe_position": {"walk_length": "12", "walks_per_node": "4", "window": "4",
                      "negative": "3", "p": "0.5", "q": "2"},
}

CASES = [(m, k) for m in sorted(METHODS) for k in sorted(METHODS[m].params)]


def test_the_table_names_every_registered_parameter():
    assert sorted(OTHER) == sorted(METHODS)
    for name, method in METHODS.items():
        assert sorted(OTHER[name]) == sorted(method.params), name


def _graph(name, key):
    if name == "fastrp" and key == "direction":  # matters for directed graphs only
        D = nx.gnp_random_graph(40, 0.12, seed=3, directed=True)
        return D
    G = nx.karate_club_graph()
    return G


@pytest.mark.parametrize("name, key", CASES, ids=[f"{m}-{k}" for m, k in CASES])
def test_every_parameter_changes_the_embedding(name, key):
    G = _graph(name, key)
    base = dict(BASE.get(name, {}))
    other = dict(base, **{key: OTHER[name][key]})
    a = embed(G, name, dim=12, random_state=1, params=base)
    b = embed(G, name, dim=12, random_state=1, params=other)
    assert b.meta["params"][key] == METHODS[name].parse_params({key: OTHER[name][key]})[key] or \
        b.meta["params"][key] == pytest.approx(METHODS[name].parse_params(
            {key: OTHER[name][key]})[key])
    assert a.vectors.shape == (G.number_of_nodes(), 12)
    assert b.vectors.shape[0] == G.number_of_nodes()  # width: see the irwe test below
    assert a.vectors.shape != b.vectors.shape or not np.array_equal(a.vectors, b.vectors), \
        f"{name}: {key} changed nothing"


@pytest.mark.parametrize("half", [{"position_dim": "8"}, {"identity_dim": "8", "position_dim": "8"}])
def test_irwe_recorded_dim_is_the_width(half):
    """Either the halves fill dim, or a clear error names the parameters: never a recorded dim
    that is not the width of the vectors."""
    try:
        e = embed(nx.karate_club_graph(), "irwe", dim=12, random_state=1,
                  params=dict(BASE["irwe"], **half))
    except ValueError as err:
        assert "dim" in str(err)
        return
    assert e.vectors.shape[1] == e.meta["dim"]
