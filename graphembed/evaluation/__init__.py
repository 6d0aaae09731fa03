"""Score embeddings the way the literature does (see the README's evaluation section).

* :func:`node_classification` — the DeepWalk / node2vec / FastRP protocol (one-vs-rest
  logistic regression on seeded shuffles of the labelled nodes, Micro/Macro-F1), with a
  validation mode that never reads the test part;
* :func:`link_prediction` — held-out edges with a spanning forest kept, the embedding computed
  on the residual graph, cosine/dot and edge-operator scorers next to the neighbourhood
  heuristics (ROC-AUC, average precision, Hits@K, MRR);
* :func:`edge_split` / :class:`EdgeSplit` — the link-prediction split, saved and reloaded;
* :func:`tune` — hyper-parameter search on validation splits only.

Importing this package loads numpy and scipy only; scikit-learn, joblib, tqdm and matplotlib
are imported by the functions that use them.
"""

from .link_prediction import LinkPredictionResult, heuristic_scores, link_prediction
from .node_classification import NodeClassificationResult, node_classification
from .splits import EdgeSplit, edge_split, node_split
from .tune import tune

__all__ = [
    "node_classification",
    "NodeClassificationResult",
    "link_prediction",
    "LinkPredictionResult",
    "heuristic_scores",
    "edge_split",
    "EdgeSplit",
    "node_split",
    "tune",
]
