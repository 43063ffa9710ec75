"""The virtual camera fleet: thousands of ONVIF cameras on loopback, with faults on demand.

Imported by tests, benchmarks and ``camfleet simulate``/``demo`` only; the product never imports it.
"""

from camfleet.simulator.camera import SimCamera
from camfleet.simulator.fleet import SimulatedFleet
from camfleet.simulator.scenario import KINDS, Fault, Scenario, load_scenario
from camfleet.simulator.spec import SimCameraSpec

__all__ = ["KINDS", "Fault", "Scenario", "SimCamera", "SimCameraSpec", "SimulatedFleet", "load_scenario"]
