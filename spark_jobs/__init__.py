"""spark-submit drivers of graphembed: clean, partition, embed, evaluate.

Each file is a thin driver (arguments, SparkSession, DataFrame plumbing) over tested functions;
the per-partition computation lives in :mod:`graphembed.distributed`.
"""
