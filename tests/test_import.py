"""`import graphembed` stays cheap: numpy, scipy and numba only."""

import json
import subprocess
import sys

HEAVY = ["networkx", "sklearn", "pandas", "pyarrow", "matplotlib", "pyspark", "tqdm"]

PROBE = """
import json, sys
import graphembed
import graphembed.graph, graphembed.embedding, graphembed.datasets, graphembed.methods
import graphembed.cli
print(json.dumps(sorted(m.split('.')[0] for m in sys.modules)))
"""


def test_import_loads_no_heavy_packages():
    res = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                         timeout=300, check=True)
    loaded = set(json.loads(res.stdout.strip().splitlines()[-1]))
    assert "numpy" in loaded and "numba" in loaded  # the probe does see imports
    assert sorted(loaded & set(HEAVY)) == []


def test_public_names():
    import graphembed

    for name in graphembed.__all__:
        assert hasattr(graphembed, name), name
    assert isinstance(graphembed.__version__, str)
    assert "as_csr" in graphembed.__all__ and "CSRGraph" in graphembed.__all__
