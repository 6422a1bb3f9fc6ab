"""The package version, in a module of its own so that the modules that record it (model files,
the CLI, the service) import it without importing the package they are part of."""
__version__ = "0.1.0"
