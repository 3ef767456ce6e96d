"""Packages and package data for setuptools; everything else is in pyproject.toml.

The shipped scenarios (with what-ifs) and experiments live once, in the
repository's top-level scenarios/ and experiments/, where people edit them.
A wheel must carry them where code can find them, inside the package, so
package_dir maps those two folders to the packages model._data.scenarios and
model._data.experiments when a wheel is built: they land as
model/_data/scenarios/*.toml (what-if/*.toml, posteriors/NAME/*) and model/_data/experiments/*.toml,
are recorded in the wheel's RECORD (pip uninstall removes them) and are also
put in the sdist (setuptools adds package data to it), so a wheel built from
the sdist has them too. Nothing is copied into the checkout. This is
declared here, not in pyproject.toml, because pyproject's
[tool.setuptools.packages.find] cannot name a package whose folder lies
outside model/, and an explicit package list there would have to be kept by
hand as subpackages come and go; find_packages below keeps finding them.

An editable install (pip install -e ., as make setup does) maps `model` to
the checkout's model/, which has no _data/, so model/data.py reads the
checkout's folders directly: an edited scenario takes effect at once.
"""

from setuptools import find_packages, setup

#: package name inside the wheel -> the repository folder it is built from
DATA = {"model._data.scenarios": "scenarios", "model._data.experiments": "experiments"}

setup(
    packages=find_packages(include=["model", "model.*"]) + list(DATA),
    package_dir=DATA,
    package_data={"model._data.scenarios": ["*.toml", "what-if/*.toml", "networks/*.csv",
                                           "posteriors/*/particles.csv", "posteriors/*/posterior.json"],
                  "model._data.experiments": ["*.toml"]},
)
