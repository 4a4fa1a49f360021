"""Package layout that pyproject.toml cannot express: root data folders shipped inside the wheel."""

from setuptools import find_packages, setup

DATA_FOLDERS = {"gateway._data.profiles": "profiles", "gateway._data.mappings": "mappings"}

setup(
    packages=find_packages(include=["gateway", "gateway.*", "adapters", "adapters.*"]) + list(DATA_FOLDERS),
    package_dir=DATA_FOLDERS,
)
