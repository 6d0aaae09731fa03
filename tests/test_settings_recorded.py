"""Results carry every effective setting, resolved defaults included, for every method.

For each registered method, every parameter of its function (``inspect.signature``; for the
registry adapters that take ``**params``, the registry's parameters too) appears in the
``Embedding`` meta, in ``node_classification.json`` and in the CSV's header comments, and a
parameter left at its default is recorded with the value the function used, not as None.
"""

import importlib
import inspect
import json

import networkx as nx
import numpy as np
import pytest

import graphembed as ge
from graphembed.cli import main
from graphembed.evaluation.report import read_csv
from graphembed.methods import METHODS, embed, get_method

APART = ("dim", "random_state", "num_threads")  # recorded beside the method's params

# cheap values so that every method runs in a second on the small graph (each is recorded too)
CHEAP = {
    "irwe": {"identity_walks": "20", "walks_per_node": "2", "steps": "2,3"},
    "irwe_identity": {"identity_walks": "20", "steps": "2,3"},
    "irwe_position": {"walks_per_node": "2"},
}


def function_parameters(method):
    """Names of the keyword parameters of the method's function (the graph left out), and
    the registry's parameters, which adapters take through **params."""
    names = []
    for k, (name, p) in enumerate(inspect.signature(method.function()).parameters.items()):
        if p.kind in (p.VAR_KEYWORD, p.VAR_POSITIONAL, p.POSITIONAL_ONLY):
            continue
        if k == 0 and p.default is p.empty:
            continue  # the graph
        names.append(name)
    return names + [n for n in method.params if n not in names]


def recorded(meta):
    return {**meta["params"], **{k: meta[k] for k in APART if k in meta}}


@pytest.fixture(scope="module")
def graph():
    return ge.as_csr(nx.connected_caveman_graph(6, 6))


@pytest.mark.parametrize("name", sorted(METHODS))
def test_embedding_meta_records_every_parameter(name, graph):
    m = get_method(name)
    e = embed(graph, name, dim=8, random_state=3, params=CHEAP.get(name))
    rec = recorded(e.meta)
    missing = [p for p in function_parameters(m) if p not in rec]
    assert not missing, f"{name}: not recorded: {missing}"
    assert rec["dim"] == 8 and rec["random_state"] == 3 and rec["num_threads"] >= 1
    signature = inspect.signature(m.function()).parameters
    for p, value in e.meta["params"].items():
        given = CHEAP.get(name, {}).get(p)
        if given is not None:
            assert value == m.parse_params({p: given})[p], (name, p, value)
        elif p in signature and signature[p].default not in (None, inspect.Parameter.empty):
            default = signature[p].default
            assert value == (tuple(default) if isinstance(default, (list, tuple)) else default), \
                (name, p, value)
    json.dumps(e.meta, default=str)  # the meta goes into files


def test_fastrp_defaults_are_recorded_resolved(graph):
    """The settings the issue names: the defaults used, not None, and what was given."""
    mod = importlib.import_module("graphembed.fastrp")  # the module (ge.fastrp is the function)
    e = embed(graph, "fastrp", dim=8, params={"sparsity": "sqrt"})
    p = e.meta["params"]
    assert p["iteration_weights"] == mod.DEFAULT_ITERATION_WEIGHTS
    assert p["normalization_strength"] == mod.DEFAULT_NORMALIZATION_STRENGTH
    assert p["sparsity"] == "sqrt"
    assert p["standardize"] is True and p["normalize"] is True


@pytest.mark.parametrize("name", [n for n in sorted(METHODS)
                                  if not any(p.kind == p.VAR_KEYWORD for p in inspect.signature(
                                      METHODS[n].function()).parameters.values())])
def test_recorded_settings_reproduce_the_embedding(name, graph):
    """Passing the recorded settings back to the function gives the same bytes: they are the
    effective ones."""
    e = embed(graph, name, dim=8, random_state=5, params=CHEAP.get(name))
    again = get_method(name).function()(graph, dim=8, random_state=5, num_threads=None,
                                        **e.meta["params"])
    np.testing.assert_array_equal(np.asarray(again, dtype=np.float32), e.vectors)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("settings")
    G = nx.connected_caveman_graph(6, 6)
    (d / "edges.tsv").write_text("".join(f"n{u}\tn{v}\n" for u, v in G.edges))
    (d / "labels.tsv").write_text("".join(f"n{u}\tc{u // 6}\n" for u in G.nodes))
    return d


def test_evaluate_files_record_every_parameter(files, tmp_path, capsys):
    names = sorted(METHODS)
    params = [f"{m}:{k}={v}" for m, kv in CHEAP.items() if m in names for k, v in kv.items()]
    out = tmp_path / "run"
    argv = ["evaluate", "--graph", files / "edges.tsv", "--labels", files / "labels.tsv",
            "--method", ",".join(names), "--dim", "8", "--ratios", "0.5", "--repeats", "1",
            "--jobs", "1", "--quiet", "--no-plot", "--out", out]
    for p in params:
        argv += ["-p", p]
    assert main([str(a) for a in argv]) == 0, capsys.readouterr().err
    meta = json.loads((out / "node_classification.json").read_text())
    text = (out / "node_classification.csv").read_text()
    comments = {ln.split(": ", 1)[0][2:]: json.loads(ln.split(": ", 1)[1])
                for ln in text.splitlines() if ln.startswith("# ") and ": " in ln
                and ln.split(": ", 1)[0][2:] not in ("command",)}
    for name in names:
        for where in (meta["run"]["methods"][name], comments["methods"][name]):
            rec = {**where["params"], **{k: where[k] for k in APART}}
            missing = [p for p in function_parameters(get_method(name)) if p not in rec]
            assert not missing, f"{name}: not recorded: {missing}"
        protocol = comments[f"protocol {name}"]
        for key in ("C", "solver", "normalize", "train_ratios", "repeats", "random_state",
                    "max_iter", "penalty"):
            assert key in protocol and key in meta["results"][names.index(name)]["protocol"]
    for key in ("ratios", "repeats", "C", "normalize", "solver", "seed", "jobs"):
        assert key in meta["run"]["settings"] and key in comments["settings"]
    rows = read_csv(out / "node_classification.csv")
    assert {r["method"] for r in rows} == set(names)


def test_linkpred_files_record_every_parameter(files, tmp_path, capsys):
    out = tmp_path / "lp"
    assert main(["linkpred", "--graph", str(files / "edges.tsv"), "--dim", "8",
                 "--test-fraction", "0.2", "--out", str(out)]) == 0, capsys.readouterr().err
    meta = json.loads((out / "link_prediction.json").read_text())
    rec = {**meta["run"]["methods"]["fastrp"], "dim": meta["run"]["dim"]["fastrp"]}
    missing = [p for p in function_parameters(get_method("fastrp"))
               if p not in rec and p not in ("random_state", "num_threads")]
    assert not missing
    assert rec["normalization_strength"] is not None
    text = (out / "link_prediction.csv").read_text()
    assert "# methods: " in text and '"iteration_weights": [0.0, 0.0, 1.0, 6.67, 20.0]' in text
    assert "C" in meta["results"][0]["params"] and read_csv(out / "link_prediction.csv")
