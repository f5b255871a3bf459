import re
import subprocess
import sys
from collections import deque
from pathlib import Path

import pytest

import flows
from flows.engine import edges
from flows.intake import INTAKE
from flows.intake import STATES
from flows.intake import input_for
from scripts.flow_diagrams import DOCS
from scripts.flow_diagrams import render

STEP_TRIGGERS = ("proceed", "edit")
END = "submitted"


def reachable(start: str, graph: set[tuple[str, str]]) -> set[str]:
    seen, queue = {start}, deque([start])
    while queue:
        here = queue.popleft()
        for source, dest in graph:
            if source == here and dest not in seen:
                seen.add(dest)
                queue.append(dest)
    return seen


def test_every_state_is_reachable_from_the_welcome():
    assert reachable(INTAKE.initial, edges(INTAKE)) == set(STATES)


@pytest.mark.parametrize("state", STATES)
def test_every_state_can_reach_a_submitted_request_by_its_own_steps(state):
    assert END in reachable(state, edges(INTAKE, STEP_TRIGGERS)) | {state}


@pytest.mark.parametrize("state", STATES)
def test_no_state_is_a_dead_end(state):
    leaving = {dest for source, dest in edges(INTAKE, STEP_TRIGGERS) if source == state}
    assert leaving, state
    assert input_for(state, {})["kind"] != "none" or state in ("sign",)


def test_the_machine_has_only_the_real_steps():
    machine = INTAKE.machine
    assert set(machine.events) == {
        "proceed",
        "edit",
        "restart",
        "ask_human",
        "ask_status",
    }
    assert not any(name.startswith("to_") for name in machine.events)


def test_the_committed_diagram_is_the_machine_drawn_today():
    assert (DOCS / "intake.md").read_text() == render(INTAKE)


def test_building_the_machine_once_serves_many_conversations():
    first = INTAKE.machine
    with INTAKE.bound("numbers", {}) as one, INTAKE.bound("review", {}) as two:
        assert (one.state, two.state) == ("numbers", "review")
    assert INTAKE.machine is first
    assert first.models == []


def test_rebinding_at_a_saved_state_does_not_repeat_its_prompt():
    with INTAKE.bound("numbers", {}) as model:
        assert model.out == []


def test_a_saved_state_that_no_longer_exists_recovers_to_the_nearest_step():
    assert INTAKE.recover_state("checklist") == "review"
    assert INTAKE.recover_state("a_state_from_the_future") == "welcome"
    assert INTAKE.recover_state("numbers") == "numbers"


def test_the_committed_diagram_draws_every_state_and_every_step_of_the_machine():
    diagram = (DOCS / "intake.md").read_text()

    assert diagram.startswith("# The intake flow\n")
    assert "```mermaid\n---\ntitle: The intake flow\n---\nstateDiagram-v2\n" in diagram
    for state in STATES:
        assert f'state "{state}" as {state}\n' in diagram, state
    for source, dest in edges(INTAKE, STEP_TRIGGERS):
        assert f"  {source} --> {dest}: " in diagram, (source, dest)
    assert "  [*] --> welcome\n" in diagram


def test_the_flows_stay_pure_python_without_flask_storage_or_io():
    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, flows.engine, flows.intake; "
            "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()

    forbidden = {"flask", "sqlalchemy", "assistant", "forms", "werkzeug", "requests"}
    assert forbidden.isdisjoint(loaded)
    for path in Path(flows.__file__).parent.glob("*.py"):
        source = path.read_text()
        assert "open(" not in source and "pathlib" not in source, path.name
        # Imports inside a function escape the check above until they run.
        imported = re.findall(r"^\s*(?:from|import)\s+(\w+)", source, re.MULTILINE)
        assert forbidden.isdisjoint(imported), path.name
