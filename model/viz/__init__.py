"""The browser visualiser for teaching (docs/teaching.md): ``spread viz``.

* ``app``: the Solara page, one model per browser session;
* ``views``: the SVG views (network, units, trajectories, events) drawn from a model;
* ``assets``: the offline cache of Solara's front-end assets (filled from the npm registry);
* ``serve``: starts ``solara run`` on the app with the cache configured.
"""
