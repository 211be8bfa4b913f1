"""Helpers of the standing adversarial suite: real server processes, raw sockets, the tally."""
