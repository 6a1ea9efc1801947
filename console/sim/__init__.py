"""The demo: a simulated BuyWhere stack behind the same source interface as the real one."""

from console.sim.sources import sim_sources
from console.sim.stack import SCENARIOS, SimStack

__all__ = ["SCENARIOS", "SimStack", "sim_sources"]
