"""The container engine the user's `docker` talks to, and the only way this tool reaches
it: `endpoint` resolves it as the docker CLI does, `api` speaks its Engine API, `images`
reads what images say, and `probe` asks one image's ID on the hot path of a kept render.

Nothing is imported here, so that the probe costs no more than its own module.
"""
