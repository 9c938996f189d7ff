"""An agent's knowledge beyond its history (SPEC §6): core memory, pins, what other agents share with it,
and the context budget they take in a prompt."""
