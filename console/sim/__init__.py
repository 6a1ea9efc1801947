"""The demo: a simulated BuyWhere stack behind the same source interface as the real one.
Its sources are made per kind by console.kinds.sim_sources."""

from console.sim.stack import SCENARIOS, SimStack

__all__ = ["SCENARIOS", "SimStack"]
