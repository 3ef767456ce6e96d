"""A tiny SolaraViz page: one Slider, one plot. Proves the offline assets work.

Run by tests/viz/test_browser.py through `solara run`; it is not part of the
teaching app.
"""

from model.viz import assets as viz_assets

viz_assets.configure_environment()  # before solara is imported

import mesa  # noqa: E402
from mesa.visualization import Slider, SolaraViz, make_plot_component  # noqa: E402


class Tiny(mesa.Model):
    def __init__(self, rate=0.1, rng=None):
        super().__init__(rng=rng)
        self.rate = rate
        self.level = 0.0
        self.datacollector = mesa.DataCollector(model_reporters={"Level": "level"})
        self.datacollector.collect(self)

    def step(self):
        self.level += self.rate * (1.0 - self.level)
        self.datacollector.collect(self)


model_params = {"rate": Slider("Rate", 0.1, 0.0, 1.0, 0.05)}
page = SolaraViz(
    Tiny(rng=1),
    components=[
        make_plot_component("Level"),  # matplotlib: a PNG drawn by the server
        make_plot_component("Level", backend="altair"),  # vega in the browser
    ],
    model_params=model_params,
    name="Tiny offline check",
)
