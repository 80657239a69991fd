"""buildkit-pyenv: the PYENV Dockerfile instruction, as a preprocessor and a BuildKit frontend."""

__version__ = "0.1.0"
