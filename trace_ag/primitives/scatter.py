"""Indexed updates (``x.at[idx].set/add/...``): the scatter primitives."""
