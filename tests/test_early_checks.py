"""Every check of the command line (and of the embedding functions) happens before the work.

Each test runs a command that must fail one check, with the embedding and scoring functions
replaced by ones that raise ``WorkStarted``: the command must answer with one line
``graphembed <command>: error: ...`` and exit status 2 before any of them is called, and leave
the working folder exactly as it found it (no results folder, no output file, no probe file).
``test_sentinels_are_reached_by_a_valid_run`` shows that a valid run does reach them.
"""

import importlib
import os
import sys
import tempfile

import networkx as nx
import numpy as np
import pytest

import graphembed as ge
import graphembed.evaluation as evaluation
import graphembed.methods as methods
from graphembed import _estimate, _validation, cli
from graphembed._validation import NotEnoughMemoryError


class WorkStarted(Exception):
    """Raised by the replaced embedding and scoring functions."""


def _refuse(*args, **kwargs):
    raise WorkStarted("the work started before the checks were done")


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """A working folder with a small labelled graph; the work functions replaced."""
    G = nx.connected_caveman_graph(6, 5)
    (tmp_path / "edges.tsv").write_text("".join(f"n{u}\tn{v}\n" for u, v in G.edges))
    (tmp_path / "labels.tsv").write_text("".join(f"n{u}\tc{u // 5}\n" for u in G.nodes))
    monkeypatch.chdir(tmp_path)
    for module, name in [(methods, "embed"), (evaluation, "node_classification"),
                         (evaluation, "link_prediction"), (evaluation, "tune"),
                         (evaluation, "edge_split"), (ge.walks, "iter_random_walks"),
                         (ge.orbits, "orbit_adjacency"), (ge.orbits, "orbit_counts")]:
        monkeypatch.setattr(module, name, _refuse)
    return tmp_path


def _listing(root):
    return sorted(os.path.relpath(os.path.join(d, f), root)
                  for d, dirs, files in os.walk(root) for f in files + dirs)


def fails_early(workdir, capsys, argv, *messages):
    """Run ``argv``: exit status 2, one error line holding every message, nothing changed."""
    before = _listing(workdir)
    code = cli.main([str(a) for a in argv])
    err = capsys.readouterr().err
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"graphembed {argv[0]}: error: "), err
    for m in messages:
        assert m in err, (m, err)
    assert "Traceback" not in err
    assert _listing(workdir) == before
    return err


EVAL = ["evaluate", "--graph", "edges.tsv", "--labels", "labels.tsv", "--dim", "8",
        "--quiet", "--no-plot"]


def test_sentinels_are_reached_by_a_valid_run(workdir, capsys):
    """The control: without a bad value, each command gets as far as the replaced work."""
    for argv in (EVAL, ["embed", "--graph", "edges.tsv", "-o", "e.npz", "--dim", "8"],
                 ["linkpred", "--graph", "edges.tsv", "--dim", "8"],
                 ["tune", "--graph", "edges.tsv", "--labels", "labels.tsv", "--dim", "8",
                  "--quiet"],
                 ["walks", "--graph", "edges.tsv", "-o", "w.npz"],
                 ["orbits", "--graph", "edges.tsv", "-o", "o.npz"]):
        with pytest.raises(WorkStarted):
            cli.main(argv)
    assert not (workdir / "graphembed-results").exists()


# ------------------------------------------------------------------ values in range


@pytest.mark.parametrize("extra, messages", [
    (["--ratios", "0.1,1.5"], ["--ratios", "strictly between 0 and 1, got 1.5"]),
    (["--ratios", "0"], ["--ratios", "got 0.0"]),
    (["--ratios", "0.1,x"], ["--ratios expects comma-separated numbers"]),
    (["--repeats", "0"], ["--repeats must be an integer >= 1, got 0"]),
    (["--dim", "0"], ["--dim", "dim must be a positive integer, got 0"]),
    (["-C", "0"], ["-C", "C must be > 0.0, got 0.0"]),
    (["-C", "-1"], ["-C", "got -1.0"]),
    (["--jobs", "0"], ["--jobs must be -1 (all cores) or a number of threads >= 1, got 0"]),
    (["--threads", "0"], ["--threads", "num_threads must be an integer >= 1"]),
    (["--seed", "-1"], ["--seed", "random_state must be an integer >= 0, got -1"]),
])
def test_evaluate_values_in_range(workdir, capsys, extra, messages):
    fails_early(workdir, capsys, EVAL + extra, *messages)


@pytest.mark.parametrize("param, messages", [
    ("transition=foo", ["parameter 'transition' of method 'fastrp'", "got 'foo'"]),
    ("sparsity=0.5", ["parameter 'sparsity'", ">= 1 or 'sqrt'"]),
    ("iteration_weights=1,nan", ["parameter 'iteration_weights'", "finite"]),
    ("normalize=maybe", ["parameter 'normalize'", "true/false"]),
    ("colour=red", ["no method among fastrp has a parameter 'colour'"]),
])
def test_evaluate_method_parameters_through_the_registry(workdir, capsys, param, messages):
    fails_early(workdir, capsys, EVAL + ["-p", param], *messages)


def test_evaluate_walk_method_parameters(workdir, capsys):
    fails_early(workdir, capsys, EVAL + ["--method", "irwe", "-p", "walk_length=0"],
                "parameter 'walk_length' of method 'irwe'", ">= 1, got 0")


def test_evaluate_inputs_named_before_reading(workdir, capsys):
    fails_early(workdir, capsys, ["evaluate", "--dataset", "nosuch"],
                "no bundled data set 'nosuch'", "blogcatalog")
    fails_early(workdir, capsys, ["evaluate", "--graph", "edges.tsv"], "--labels")
    fails_early(workdir, capsys, EVAL[:3] + ["--labels", "missing.tsv"], "missing.tsv",
                "does not exist")


def test_linkpred_values(workdir, capsys):
    base = ["linkpred", "--graph", "edges.tsv", "--dim", "8"]
    fails_early(workdir, capsys, base + ["--test-fraction", "1.5"], "--test-fraction",
                "got 1.5")
    fails_early(workdir, capsys, base + ["--scorer", "cosine,cosin"], "'cosin' is not a scorer")
    fails_early(workdir, capsys, base + ["-C", "0"], "C must be > 0.0")
    fails_early(workdir, capsys, base + ["--split", "none.npz"], "none.npz does not exist")


def test_tune_values(workdir, capsys):
    base = ["tune", "--graph", "edges.tsv", "--labels", "labels.tsv", "--dim", "8"]
    fails_early(workdir, capsys, base + ["--ratio", "1"], "--ratio", "got 1.0")
    fails_early(workdir, capsys, base + ["--budget", "0"], "--budget must be an integer >= 1")
    fails_early(workdir, capsys, base + ["--repeats", "0"], "--repeats must be an integer >= 1")
    fails_early(workdir, capsys, base + ["--space", "transition=mean;foo"],
                "parameter 'transition'", "got 'foo'")


def test_walks_and_orbits_values(workdir, capsys):
    base = ["walks", "--graph", "edges.tsv", "-o", "w.npz"]
    fails_early(workdir, capsys, base + ["--walk-length", "0"], "walk_length must be an integer >= 1")
    fails_early(workdir, capsys, base + ["--walks-per-node", "0"], "walks_per_node")
    fails_early(workdir, capsys, base + ["-q", "0"], "q must be > 0.0")
    fails_early(workdir, capsys, ["orbits", "--graph", "edges.tsv", "-o", "o.npz", "--key",
                                  "9,9,9"], "--key")


def test_embed_values(workdir, capsys):
    base = ["embed", "--graph", "edges.tsv", "-o", "e.npz"]
    fails_early(workdir, capsys, base + ["--dim", "0"], "dim must be a positive integer, got 0")
    fails_early(workdir, capsys, base + ["-p", "direction=up"], "parameter 'direction'")
    fails_early(workdir, capsys, ["embed", "edges.tsv", "--graph", "other.tsv", "-o", "e.npz"],
                "give the edge-list file once")
    fails_early(workdir, capsys, ["embed", "--dataset", "nosuch", "-o", "e.npz"],
                "no bundled data set 'nosuch'")
    fails_early(workdir, capsys, ["embed", "--graph", "none.tsv", "-o", "e.npz"],
                "--graph: edge-list file none.tsv does not exist")
    fails_early(workdir, capsys, ["walks", "--graph", "none.tsv", "-o", "w.npz"],
                "--graph: edge-list file none.tsv does not exist")


# ------------------------------------------------------------------ outputs free and writable


def test_existing_results_are_not_overwritten(workdir, capsys):
    (workdir / "run").mkdir()
    (workdir / "run" / "node_classification.csv").write_text("precious")
    for argv in (EVAL + ["--out", "run"],
                 ["linkpred", "--graph", "edges.tsv", "--out", "run"],
                 ["tune", "--graph", "edges.tsv", "--labels", "labels.tsv", "--out", "run"]):
        fails_early(workdir, capsys, argv, "already holds files", "--overwrite")
    assert (workdir / "run" / "node_classification.csv").read_text() == "precious"


def test_existing_output_file_is_not_overwritten(workdir, capsys):
    (workdir / "e.npz").write_bytes(b"precious")
    (workdir / "w.npz").write_bytes(b"precious")
    fails_early(workdir, capsys, ["embed", "--graph", "edges.tsv", "-o", "e.npz"],
                "e.npz already exists; pass --overwrite")
    fails_early(workdir, capsys, ["walks", "--graph", "edges.tsv", "-o", "w.npz"],
                "already exists")
    fails_early(workdir, capsys, ["orbits", "--graph", "edges.tsv", "-o", "w.npz"],
                "already exists")
    (workdir / "v.ids.npy").write_bytes(b"precious")  # a side file of the .npy format
    fails_early(workdir, capsys, ["embed", "--graph", "edges.tsv", "-o", "v.npy"],
                "v.ids.npy already exists")
    assert (workdir / "e.npz").read_bytes() == b"precious"


def test_output_under_a_file(workdir, capsys):
    (workdir / "afile").write_text("")
    fails_early(workdir, capsys, EVAL + ["--out", "afile/run"], "afile", "is a file")
    fails_early(workdir, capsys, ["embed", "--graph", "edges.tsv", "-o", "afile/e.npz"],
                "afile", "is a file")
    fails_early(workdir, capsys, ["walks", "--graph", "edges.tsv", "-o", "afile/w.txt"],
                "is a file")


def test_unwritable_output_folder(workdir, capsys, monkeypatch):
    """A folder that refuses new files (simulated: the tests may run as root, which chmod
    does not stop) fails the write probe before any work."""
    (workdir / "locked").mkdir()

    def refuse(*args, dir=None, **kwargs):
        if dir is not None and os.path.abspath(dir) == str(workdir / "locked"):
            raise PermissionError(13, "Permission denied")
        return real(*args, dir=dir, **kwargs)

    real = tempfile.mkstemp
    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    fails_early(workdir, capsys, EVAL + ["--out", "locked/run"], "locked", "not writable",
                "Permission denied")
    fails_early(workdir, capsys, ["embed", "--graph", "edges.tsv", "-o", "locked/e.npz"],
                "not writable")
    fails_early(workdir, capsys, ["linkpred", "--graph", "edges.tsv", "--out",
                                  "locked/deeper/run"], "not writable")


# ------------------------------------------------------------------ memory


@pytest.fixture
def one_gib(monkeypatch):
    monkeypatch.setattr(_validation, "available_memory", lambda: 1 << 30)


def test_memory_checked_by_the_cli(workdir, capsys, one_gib):
    # 30 nodes × 10^7 columns × 4 bytes × (2 buffers or the scoring copies) > 1 GiB
    err = fails_early(workdir, capsys, EVAL[:-4] + ["--dim", "10000000", "--quiet", "--no-plot"],
                      "--dim", "dim=10000000", "1 GiB (1,073,741,824 bytes) is available")
    assert "bytes) but only" in err
    fails_early(workdir, capsys, ["embed", "--graph", "edges.tsv", "-o", "e.npz", "--dim",
                                  "10000000"], "dim=10000000", "available")
    fails_early(workdir, capsys, ["linkpred", "--graph", "edges.tsv", "--dim", "10000000"],
                "dim=10000000")
    fails_early(workdir, capsys, ["tune", "--graph", "edges.tsv", "--labels", "labels.tsv",
                                  "--dim", "10000000"], "dim=10000000")
    # a modest dim passes the same check and reaches the work
    with pytest.raises(WorkStarted):
        cli.main(EVAL)


@pytest.mark.parametrize("call", [
    lambda: ge.fastrp(nx.karate_club_graph(), dim=10**9),
    lambda: ge.FastRP(dim=10**8).fit(nx.karate_club_graph()),
    lambda: ge.orbits.orbit_embedding(nx.karate_club_graph(), dim=10**9),
    lambda: ge.irwe(nx.path_graph(20000), dim=20000, identity_dim=0),
    lambda: importlib.import_module("graphembed.fastrp").random_rows(
        np.arange(34), 10**9, sparsity=3, random_state=0),
], ids=["fastrp", "FastRP", "orbit_embedding", "irwe", "random_rows"])
def test_memory_checked_by_the_functions(call, monkeypatch, one_gib):
    """fastrp(G, dim=10**9) names dim and the bytes needed and available, before allocating
    (any numpy allocation of more than 10^7 entries counts as the work starting)."""
    def guard(real):
        def allocate(shape, *args, **kwargs):
            if np.prod(shape, dtype=float) > 1e7:
                raise WorkStarted(f"allocation of {shape} before the memory check")
            return real(shape, *args, **kwargs)
        return allocate

    for name in ("empty", "zeros", "ones", "full"):
        monkeypatch.setattr(np, name, guard(getattr(np, name)))
    with pytest.raises(NotEnoughMemoryError) as info:
        call()
    text = str(info.value)
    assert "dim=" in text and "bytes) but only 1 GiB (1,073,741,824 bytes) is available" in text
    assert isinstance(info.value, MemoryError) and isinstance(info.value, ValueError)


def test_memory_estimate_is_close_for_fastrp():
    """The fastrp estimate counts its n × dim buffers: the peak traced by tracemalloc (numpy
    reports its allocations there) lies within the estimate and above its n × dim part."""
    import tracemalloc

    from graphembed._memory import fastrp_bytes

    G = ge.as_csr(nx.barabasi_albert_graph(3000, 4, seed=1))
    ge.fastrp(G, dim=8)  # compile outside the trace
    for weights in [(0.0, 0.0, 1.0, 6.67), (1.0, 1.0, 1.0)]:
        tracemalloc.start()
        ge.fastrp(G, dim=256, iteration_weights=weights)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        est = fastrp_bytes(G.n, G.nnz, 256, {"iteration_weights": weights})
        buffers = est - 24 * G.nnz - 56 * G.n
        assert buffers <= peak <= est * 1.1, (weights, peak, est)


# ------------------------------------------------------------------ extras


@pytest.mark.parametrize("module, argv, messages", [
    ("tqdm", EVAL[:-2] + ["--no-plot"], ["tqdm", "pip install 'graphembed[eval]'", "--quiet"]),
    ("matplotlib", EVAL[:-2] + ["--quiet"], ["matplotlib", "pip install 'graphembed[eval]'",
                                              "--no-plot"]),
    ("pyarrow", ["embed", "--graph", "edges.tsv", "-o", "e.parquet"],
     ["pyarrow", "pip install 'graphembed[parquet]'"]),
    ("pyarrow", ["evaluate", "--embedding", "e.parquet", "--labels", "labels.tsv", "--quiet",
                 "--no-plot"], ["pyarrow", "pip install 'graphembed[parquet]'"]),
])
def test_missing_extras_named_up_front(workdir, capsys, monkeypatch, module, argv, messages):
    if argv[0] == "evaluate":
        (workdir / "e.parquet").write_bytes(b"not read")
    monkeypatch.setitem(sys.modules, module, None)  # import fails as if not installed
    fails_early(workdir, capsys, argv, *messages)


def test_unknown_solver(workdir, capsys):
    fails_early(workdir, capsys, EVAL + ["--solver", "fast"], "--solver must be one of",
                "liblinear", "got 'fast'")
    fails_early(workdir, capsys, ["tune", "--graph", "edges.tsv", "--labels", "labels.tsv",
                                  "--solver", "fast"], "--solver must be one of")


def test_linkpred_memory_counts_the_edge_features(workdir, capsys, monkeypatch):
    """Link prediction's edge features (pairs × dim) count, not only the n × dim vectors: with
    just enough memory for the embedding, the check still fails before the split is made."""
    from graphembed._memory import fastrp_bytes

    g = ge.as_csr(str(workdir / "edges.tsv"))
    embedding = fastrp_bytes(g.n, g.nnz, 4096, get_method_settings("fastrp", 4096))
    monkeypatch.setattr(_validation, "available_memory", lambda: embedding + 4 * g.n * 4096)
    fails_early(workdir, capsys, ["linkpred", "--graph", "edges.tsv", "--dim", "4096"],
                "with its scoring", "dim=4096")
    with pytest.raises(WorkStarted):  # the same memory is enough to evaluate
        cli.main(EVAL[:5] + ["--dim", "4096", "--quiet", "--no-plot"])


def get_method_settings(name, dim):
    return methods.get_method(name).settings(dim=dim)


def test_time_estimate_printed_before_the_work(workdir, capsys, monkeypatch):
    """evaluate says how long it will take (and the full protocol) before embedding, and says
    that compilation comes on top when the kernels are not cached."""
    monkeypatch.setattr(_estimate, "_kernels_cached", lambda module: False)
    with pytest.raises(WorkStarted):
        cli.main(EVAL)
    out = capsys.readouterr().out
    assert "estimated time: about" in out and "rough estimate" in out
    assert "one-time compilation" in out and "--full: 9 ratios × 10 shuffles, about" in out
    monkeypatch.setattr(_estimate, "_kernels_cached", lambda module: True)
    with pytest.raises(WorkStarted):
        cli.main(EVAL + ["--full"])
    out = capsys.readouterr().out
    assert "9 ratios × 10 shuffles" in out and "compilation" not in out
    assert "--full:" not in out  # the full protocol's estimate is the estimate


def test_time_estimate_grows_with_the_work():
    """The cost model: scoring linear in dim, labels and training rows; liblinear slower."""
    quick = cli._score_seconds(10000, 39, 512, [0.1, 0.5, 0.9], 2, "batched", 2)
    assert cli._score_seconds(10000, 39, 1024, [0.1, 0.5, 0.9], 2, "batched", 2) == \
        pytest.approx(2 * quick)
    assert cli._score_seconds(10000, 39, 512, [0.1, 0.5, 0.9], 10, "batched", 2) == \
        pytest.approx(5 * quick)
    assert cli._score_seconds(10000, 39, 512, [0.1, 0.5, 0.9], 2, "liblinear", 2) > 10 * quick
    assert cli._embed_seconds("fastrp", 10000, 600000, 1024, {"iteration_weights": (1, 2)}, 2) \
        == pytest.approx(2 * cli._embed_seconds("fastrp", 10000, 600000, 512,
                                                {"iteration_weights": (1, 2)}, 2))


def test_huge_dim_against_this_machine(workdir, capsys):
    """No stubbed memory: dim 10^9 on a bundled data set (10.8 TB for Cora) fails at once with
    the bytes needed and available, where it used to try the allocation and print a traceback."""
    err = fails_early(workdir, capsys, ["embed", "--dataset", "cora", "-o", "e.npz", "--dim",
                                        str(10**9)], "dim=1000000000", "is available")
    assert "TiB" in err
    with pytest.raises(NotEnoughMemoryError, match="dim=1000000000"):
        ge.fastrp(nx.karate_club_graph(), dim=10**9)


def test_corrupt_embedding_file_is_one_line(workdir, capsys):
    (workdir / "bad.npz").write_text("garbage")
    fails_early(workdir, capsys, ["evaluate", "--embedding", "bad.npz", "--labels", "labels.tsv",
                                  "--quiet", "--no-plot"], "bad.npz is not an .npz archive")
