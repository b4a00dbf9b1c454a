"""Where a session's tier and its epoch live in Redis: the key layout, per topology.

One Redis (or a Sentinel-managed one):
    <prefix>session:<virtual model>:<digest>    the tier, expiring with the idle TTL
    <prefix>epoch                               one epoch key, no TTL

Redis Cluster: the tier script touches the session key and an epoch key in one call, and
Redis runs a script only when its keys share a hash slot (CROSSSLOT otherwise). So the
session key carries a hash tag, the first TAG_CHARS hex characters of its digest, and each
tag has its own epoch key in the same slot:
    <prefix>session:<virtual model>:{<tag>}<digest>
    <prefix>epoch:{<tag>}                       16**TAG_CHARS of them at most, no TTL

Why a per-tag epoch is correct: the epoch says "this Redis still holds what it was given".
In a cluster, data is lost per node (a master restarted without persistence, flushed, or
replaced by an empty replica), which means per slot. An epoch key lives in the same slot as
every session it vouches for, so whatever drops those sessions drops their epoch with them,
and the script (run on the slot's owner, atomically) sees it missing; a slot moved by
resharding carries its keys, epoch included, so a move is never mistaken for a loss. A loss
is noticed at the next call to a session whose tag the replica has seen before; since a node
holds many slots, the replica then writes back every session it holds (a maximum: harmless
where nothing was lost). The key count stays bounded: 4096 epoch keys at most, whatever the
traffic.
"""

from __future__ import annotations

TAG_CHARS = 3  # 16**3 = 4096 tags, spread over the cluster's 16384 slots


def session_key(prefix: str, virtual_model: str, digest: str, cluster: bool) -> str:
    """A session's key: hash-tagged by the digest's first characters under a cluster."""
    if cluster:
        return f"{prefix}session:{virtual_model}:{{{digest[:TAG_CHARS]}}}{digest}"
    return f"{prefix}session:{virtual_model}:{digest}"


def epoch_key(prefix: str, key: str) -> str:
    """The epoch key guarding `key`: in its hash slot when it has a hash tag, else the one epoch key."""
    tag = hash_tag(key)
    return f"{prefix}epoch" if tag is None else f"{prefix}epoch:{{{tag}}}"


def hash_tag(key: str) -> str | None:
    """Redis Cluster's rule: the text between the first `{` and the next `}`, when not empty."""
    start = key.find("{")
    if start < 0:
        return None
    end = key.find("}", start + 1)
    return key[start + 1:end] if end > start + 1 else None
