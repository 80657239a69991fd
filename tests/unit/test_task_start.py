"""What a @task.venv task knows before it starts the environment: the operator's probes
answered from the manifest record, and whether the environment would hang waiting for a
supervisor (under `airflow dags test`)."""

from __future__ import annotations

import json
import types

import pytest

from buildkit_frontend import runtime
from buildkit_frontend.airflow.task_start import (
    TargetFacts,
    facts_for_interpreter,
    no_supervisor_message,
    no_task_sdk_message,
    supervisor_problem,
    target_facts,
)

RECORD = {
    "name": "etl",
    "interpreter": "/home/astro/.venv/etl/bin/python",
    "python": "3.13.5",
    "packages": {
        "apache_airflow": "3.3.2",
        "apache-airflow-task-sdk": "1.3.2",
        "pendulum": "3.3.0",
        "dill": "0.4.1",
    },
    "airflow": {
        "base": "3.3.2",
        "task_sdk": "1.3.2",
        "installed": ["apache-airflow-task-sdk==1.3.2"],
    },
}


def write_manifest(tmp_path, *records):
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps({"schema": 1, "environments": list(records)}))
    return str(path)


def test_the_probes_are_answered_by_the_record(tmp_path):
    path = write_manifest(tmp_path, RECORD, {**RECORD, "name": "plain", "interpreter": "/p"})
    facts = facts_for_interpreter("/home/astro/.venv/etl/bin/python", path)
    assert facts == TargetFacts("etl", 3, "3.3.2", "1.3.2", "3.3.0", "0.4.1", None)
    assert facts_for_interpreter("/usr/bin/python3", path) is None


def test_the_record_says_what_airflow_installed(tmp_path):
    found = runtime.environments(write_manifest(tmp_path, RECORD), {})["etl"]
    assert found.airflow == runtime.AirflowRecord(
        "3.3.2", "1.3.2", ("apache-airflow-task-sdk==1.3.2",)
    )
    without = runtime.environments(write_manifest(tmp_path, {**RECORD, "airflow": None}), {})
    assert without["etl"].airflow is None


def test_a_broken_airflow_record_is_a_record_error(tmp_path):
    path = write_manifest(tmp_path, {**RECORD, "airflow": {"base": 3}})
    found = runtime.inventory(path, {})
    assert "has 'airflow': an object, not what --airflow installed" in found.manifest_problems[0]
    assert target_facts(found.environments["etl"]) is None


@pytest.mark.parametrize(
    "record",
    [
        {"name": "old", "interpreter": "/x"},  # an older image's record: no python
        {"name": "odd", "interpreter": "/x", "python": "three"},
    ],
)
def test_without_a_usable_record_the_operator_probes(tmp_path, record):
    found = runtime.environments(write_manifest(tmp_path, record), {})
    assert target_facts(found[record["name"]]) is None


def test_a_variable_alone_has_no_facts(tmp_path):
    found = runtime.environments(str(tmp_path / "none.json"), {"ASTRO_PYENV_x": "/x"})
    assert target_facts(found["x"]) is None


FACTS = TargetFacts("etl", 3, "3.3.2", "1.3.2", "3.3.0", None, None)


class CommsDecoder:  # the worker's channel under the scheduler: a socket to the supervisor
    socket = object()


class InProcessSupervisorComms:  # what `airflow dags test` sets
    pass


def runner(comms=None):
    module = types.SimpleNamespace()
    if comms is not None:
        module.SUPERVISOR_COMMS = comms
    return module


def test_under_the_scheduler_the_environment_reaches_the_supervisor():
    assert supervisor_problem(FACTS, runner(CommsDecoder()), {}) is None


def test_under_dags_test_it_would_hang():
    problem = supervisor_problem(FACTS, runner(InProcessSupervisorComms()), {})
    assert problem is not None and "airflow dags test" in problem
    environ = {"__AIRFLOW_SUPERVISOR_FD": "7"}  # the in-process runner sets one: no help
    assert supervisor_problem(FACTS, runner(InProcessSupervisorComms()), environ) == problem


def test_without_any_channel_it_would_hang():
    assert supervisor_problem(FACTS, runner(), {}) == "this process has no supervisor channel"
    assert supervisor_problem(FACTS, runner(), {"__AIRFLOW_SUPERVISOR_FD": "5"}) is None


def test_environments_without_the_task_sdk_and_airflow_2_never_hang():
    no_sdk = TargetFacts("plain", 3, None, None, None, None, None)
    assert supervisor_problem(no_sdk, runner(InProcessSupervisorComms()), {}) is None
    assert supervisor_problem(FACTS, None, {}) is None  # Airflow 2: no task runner


def test_the_message_names_dags_test_and_what_to_do():
    problem = supervisor_problem(FACTS, runner(InProcessSupervisorComms()), {})
    message = no_supervisor_message(FACTS, problem, "fetch", "etl_dag")
    assert "@task.venv task 'fetch'" in message
    assert "apache-airflow-task-sdk 1.3.2" in message
    assert "`airflow dags test` cannot run tasks of such an environment" in message
    assert "airflow dags trigger etl_dag" in message


def test_without_the_task_sdk_the_warning_says_what_is_missing_and_the_flag():
    message = no_task_sdk_message(TargetFacts("plain", 3, None, None, None, None, None))
    assert "'plain' has no apache-airflow-task-sdk" in message
    assert "Variables or Connections" in message and "`PYENV --airflow`" in message
