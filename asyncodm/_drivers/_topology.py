"""What the driver's view of the deployment says about multi-document transactions.

Stage: drivers. MongoDB runs transactions on replica sets, sharded clusters and behind load
balancers, never on a standalone server. PyMongo (and Motor, through its delegate) keeps a
``TopologyDescription`` up to date in the background, so the question costs no round trip once a
server has answered. The decision is a pure function of that description, asked again on every
use: a replica set without a primary (a ``replicaSet=`` client's starting state, and the state
during every election) is still a replica set, so the answer is never "no" for the client's
lifetime because of one transient state.

PyMongo 4.20 talks only to MongoDB 4.4 and later (wire version 9), all of which run
transactions on replica sets and sharded clusters, so the wire version need not be checked.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from pymongo.topology_description import TopologyDescription

__all__ = ["description_supports_transactions", "transactions_supported"]

#: Deployments that run transactions whatever their members are doing at the moment. A replica
#: set without a primary belongs here: a transaction's first command waits for the new primary
#: within ``serverSelectionTimeoutMS``, exactly as a write outside a transaction would.
_ALWAYS: Final = frozenset(
    {"ReplicaSetWithPrimary", "ReplicaSetNoPrimary", "Sharded", "LoadBalanced"}
)

#: For a direct connection (topology ``Single``) the one server's type decides.
_SINGLE_SERVER: Final = {
    "RSPrimary": True,
    "Mongos": True,
    "LoadBalancer": True,
    "Standalone": False,
    "RSSecondary": False,  # writes (and so transactions) go to a primary only
    "RSArbiter": False,
    "RSOther": False,
    "RSGhost": False,
}


def transactions_supported(topology_type: str, server_types: Iterable[str] = ()) -> bool | None:
    """Whether a deployment runs transactions, judged from the driver's topology description.

    Args:
        topology_type: ``TopologyDescription.topology_type_name`` (a ``TOPOLOGY_TYPE`` name).
        server_types: ``server_type_name`` of each server the description lists; only
            consulted for a ``Single`` topology, where the one server's type decides.

    Returns:
        True or False, or None when the description cannot tell yet (``Unknown`` topology, or a
        direct connection whose server has not answered): select a server, then ask again.
    """
    if topology_type in _ALWAYS:
        return True
    if topology_type == "Single":
        for server_type in server_types:
            known = _SINGLE_SERVER.get(server_type)
            if known is not None:
                return known
        return None
    return None  # "Unknown", or a type this table does not know: look at a server first


def description_supports_transactions(description: TopologyDescription) -> bool | None:
    """``transactions_supported`` for the driver's current description of the deployment."""
    topology_type = description.topology_type_name
    if topology_type in _ALWAYS:  # the common case: no need to look at the servers
        return True
    servers = description.server_descriptions().values()
    return transactions_supported(topology_type, (s.server_type_name for s in servers))
