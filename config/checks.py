"""Every data file of config/, loaded and validated at once when a process starts: a typo must
stop the program with the file and the field named, never surface later as a wrong route or a
wrong deadline."""
from __future__ import annotations

from config.data import load_jurisdiction, load_taxonomy
from config.deadlines import load_rules as load_deadline_rules
from config.routing import load_rules as load_routing_rules


def validate_data_files(jurisdiction: str) -> None:
    """Load the jurisdiction, the taxonomy, the routing rules and the deadlines; raises
    ConfigError naming the file and field at the first problem."""
    load_jurisdiction(jurisdiction)
    load_taxonomy()
    load_routing_rules()
    load_deadline_rules()
