"""The daemon's version, in both the package form and the `v0.5-dev` display form."""

__version__ = "0.5.0.dev0"
VERSION_LABEL = "v0.5-dev"
