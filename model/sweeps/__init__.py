"""Experiments and sweeps: ``spread sweep`` and ``spread analyse`` (docs/SWEEPS.md).

An experiment file names a base scenario, the parameters to vary, a sampler,
replicates, outcomes and analyses; a sweep runs every (point, replicate) of it
and writes the results folder; the analysis draws tables and figures from it.

* ``design``: the experiment file, validated, and its design points
  (grid, Latin hypercube, Sobol, Morris or named points);
* ``engines``: what runs one run (the trust model, or a registered engine);
* ``task``: a batch of runs on a worker;
* ``executors``: in-process, a local process pool, or a Dask cluster;
* ``store``: the results folder (Parquet parts, manifest), and reading it;
* ``progress``: the progress bar;
* ``runner``: the sweep itself (``run_sweep``), resumable;
* ``analysis``: tables with 95% intervals, regime maps, sensitivity, PRIM.
"""
