# bench: added environment
PYENV 3.13 tools requirements/tools.txt
