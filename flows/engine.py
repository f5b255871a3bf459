"""Binds one process-wide `transitions` machine to a conversation for one turn.

A machine is built once per flow and per process. Each turn makes a fresh model
from the saved state and slots, binds it, applies one event and unbinds it; the
saved state is set directly, so its entry actions do not run again.
"""

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from dataclasses import field

from transitions import Machine
from transitions import MachineError

log = logging.getLogger(__name__)


@dataclass
class Flow:
    """A flow's table: states, transitions, steps for progress, and prompts."""

    name: str
    states: list[str]
    transitions: list[dict]
    initial: str
    model_class: type
    step_of: dict[str, str]
    steps: list[tuple[str, str]]
    fallback_of: dict[str, str] = field(default_factory=dict)
    _machine: Machine | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def machine(self) -> Machine:
        if self._machine is None:
            self._machine = Machine(
                model=None,
                states=self.states,
                transitions=self.transitions,
                initial=self.initial,
                auto_transitions=False,
                after_state_change="after_step",
                send_event=False,
            )
        return self._machine

    def recover_state(self, saved: str) -> str:
        """The nearest state that still exists for a saved one a newer flow dropped."""
        if saved in self.states:
            return saved
        candidate = self.fallback_of.get(saved) or self.step_of.get(saved)
        if candidate in self.states:
            return candidate
        return self.initial

    @contextmanager
    def bound(self, state: str, slots: dict) -> Iterator[object]:
        """A model at `state`, bound to the machine for the length of one turn."""
        model = self.model_class(slots)
        machine = self.machine
        with self._lock:
            machine.add_model(model, initial=state)
        try:
            yield model
        finally:
            with self._lock:
                machine.remove_model(model)

    def progress(self, state: str) -> dict:
        step = self.step_of.get(state, self.steps[0][0])
        names = [name for name, _ in self.steps]
        index = names.index(step)
        return {"step": index + 1, "of": len(names), "label": self.steps[index][1]}


def fire(model: object, trigger: str) -> bool:
    """Apply a trigger; False when no transition of it fits the current state."""
    try:
        return bool(model.trigger(trigger))
    except MachineError:
        log.info("no transition %s from %s", trigger, model.state)
        return False


def edges(flow: Flow, triggers: tuple[str, ...] | None = None) -> set[tuple[str, str]]:
    """Every (source, dest) pair the flow's table allows, optionally by trigger."""
    found = set()
    for transition in flow.transitions:
        if triggers is not None and transition["trigger"] not in triggers:
            continue
        sources = transition["source"]
        sources = flow.states if sources == "*" else [sources]
        found.update((source, transition["dest"]) for source in sources)
    return found


def mermaid(flow: Flow) -> str:
    """The flow drawn by transitions' own diagram support, as Mermaid source."""
    from transitions.extensions.diagrams import GraphMachine

    class _Drawn:
        pass

    drawn = _Drawn()
    GraphMachine(
        model=drawn,
        states=flow.states,
        transitions=flow.transitions,
        initial=flow.initial,
        auto_transitions=False,
        graph_engine="mermaid",
        # transitions (0.9) writes the title alone between the `---` lines, but
        # Mermaid reads that block as YAML front matter, so it needs the key.
        title=f"title: The {flow.name} flow",
        show_conditions=True,
    )
    return drawn.get_graph().draw(None)
